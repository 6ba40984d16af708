import { accountIdsToWalk } from '../accounts/accounts-to-walk.js';
import { sql } from 'kysely';
import type { Context } from '../../context.js';
import { inReadSnapshot } from '../../storage/database.js';
import { ROLLUP_METRICS } from '../../storage/rollup-metrics.js';
import {
  recountedRollupDays,
  rewriteRollupDays,
  storedRollupDays,
  type RollupDays,
} from '../../storage/rollups-repository.js';

/**
 * A metric of a day row whose stored sum is not what the rollup events recount. The widget or
 * operator of a row that sums over all of them is `*`.
 */
export interface RollupDrift {
  accountId: string;
  day: string;
  widgetId: string;
  operatorId: string;
  metric: string;
  stored: number;
  recounted: number;
}

/** What a verification found: rows compared, and the drifts (the first `MAX_DRIFTS_LISTED` listed). */
export interface RollupVerification {
  accounts: number;
  /** Day rows compared: those stored and those the events recount, each key once. */
  rows: number;
  /** Day rows with at least one drifted metric. */
  driftedRows: number;
  drifts: RollupDrift[];
  /** Day rows rewritten from the events (with `repair`). */
  repaired: number;
}

/** How many drifts a verification lists; it counts every drifted row all the same. */
export const MAX_DRIFTS_LISTED = 100;

/**
 * Recounts each account's daily rollups from the rollup events it keeps (rollup_quarters, the same
 * counts per UTC quarter hour) and compares them with the stored ones, metric by metric
 * (docs/REPORTS.md). With `repair`, a drifted day row is rewritten from the events. Runs beside a
 * serving installation: each account is read in one snapshot that holds no writer off
 * (inReadSnapshot), and repaired with its rollups locked.
 * Throws `not_found` for an account id that is none.
 */
export async function verifyRollups(
  ctx: Context,
  input: {
    accountId?: string;
    repair?: boolean;
    onAccount?: (accountId: string, found: { rows: number; driftedRows: number; repaired: number }) => void;
  },
): Promise<RollupVerification> {
  const db = ctx.database.db;
  const accountIds = await accountIdsToWalk(db, input.accountId);
  const found: RollupVerification = { accounts: 0, rows: 0, driftedRows: 0, drifts: [], repaired: 0 };
  for (const accountId of accountIds) {
    const [stored, recounted] = await inReadSnapshot(ctx.database, async (snapshot) => [
      await storedRollupDays(snapshot, { accountId }),
      await recountedRollupDays(snapshot, { accountId }),
    ]);
    const drifted = driftsOf(accountId, stored, recounted);
    const keys = new Set([...stored.keys(), ...recounted.keys()]);
    let repaired = 0;
    if (input.repair === true && drifted.size > 0) repaired = await repair(ctx, accountId, [...drifted.values()]);
    found.accounts += 1;
    found.rows += keys.size;
    found.driftedRows += drifted.size;
    found.repaired += repaired;
    for (const drifts of drifted.values()) {
      found.drifts.push(...drifts.slice(0, MAX_DRIFTS_LISTED - found.drifts.length));
    }
    input.onAccount?.(accountId, { rows: keys.size, driftedRows: drifted.size, repaired });
  }
  return found;
}

/** Per drifted day row (by key): its drifted metrics. */
function driftsOf(accountId: string, stored: RollupDays, recounted: RollupDays): Map<string, RollupDrift[]> {
  const drifted = new Map<string, RollupDrift[]>();
  for (const key of [...new Set([...stored.keys(), ...recounted.keys()])].sort()) {
    const [was, is] = [stored.get(key), recounted.get(key)];
    // The key is of one map or the other, so one of them has the row.
    const { day, widgetId, operatorId } = (was ?? is) as NonNullable<typeof was>;
    const drifts = ROLLUP_METRICS.flatMap((metric, index) => {
      const [storedSum, recountedSum] = [was?.counts[index] ?? 0, is?.counts[index] ?? 0];
      if (storedSum === recountedSum) return [];
      return [{ accountId, day, widgetId, operatorId, metric, stored: storedSum, recounted: recountedSum }];
    });
    if (drifts.length > 0) drifted.set(key, drifts);
  }
  return drifted;
}

/** Rewrites the days of drifted rows of an account from its events, its rollups locked against writers. */
async function repair(ctx: Context, accountId: string, drifted: readonly RollupDrift[][]): Promise<number> {
  const days = [...new Set(drifted.flatMap((drifts) => drifts.map((drift) => drift.day)))];
  await ctx.database.db.transaction().execute(async (trx) => {
    // A chat change waits until the rows are rewritten, so that none of its counts is lost between
    // the recount and the write. On SQLite, the write transaction holds the database already.
    if (ctx.database.dialect === 'postgres') {
      await sql`lock table rollup_days, rollup_quarters in share row exclusive mode`.execute(trx);
    }
    await rewriteRollupDays(trx, { accountId, days });
  });
  return drifted.length;
}
