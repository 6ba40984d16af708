import { localSlot, type LocalSlot } from './local-time.js';
import { PreparedQuery } from './prepared-query.js';
import type { Executor, RollupRow } from './schema.js';

const addQuery = new PreparedQuery((db, v: RollupRow) =>
  db
    .insertInto('rollups')
    .values({
      account_id: v.account_id,
      day: v.day,
      widget_id: v.widget_id,
      operator_id: v.operator_id,
      metric: v.metric,
      value: v.value,
    })
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'day', 'widget_id', 'operator_id', 'metric'])
        .doUpdateSet((eb) => ({ value: eb('rollups.value', '+', eb.ref('excluded.value')) })),
    ),
);

/**
 * What an event adds to an account's rollups: the local day of `at` in the account's time zone, its
 * widget and operator, and per metric how much. The metrics named in `byHour` are also counted per
 * local hour, as `<metric>.h00` … `<metric>.h23` (the reports' busiest hours).
 */
export interface RollupIncrements {
  accountId: string;
  at: number;
  widgetId?: string | null;
  operatorId?: string | null;
  increments: Readonly<Record<string, number>>;
  byHour?: readonly string[];
}

/** The rollup metric that counts `metric` in one local hour (0–23). */
export function hourlyMetric(metric: string, hour: number): string {
  return `${metric}.h${String(hour).padStart(2, '0')}`;
}

/**
 * Adds to an account's rollups for the local day of `at`, one row per metric, keyed by widget and
 * operator ('' when the event has none). Runs in the caller's transaction, so a chat change and its
 * analytics commit together. Rollups hold counts and sums only: no personal data.
 */
export async function addToRollups(db: Executor, input: RollupIncrements): Promise<void> {
  const tally = new RollupTally();
  tally.add(input);
  await tally.write(db);
}

/** An increment as tallied: its day and hour are known once the account's time zone is. */
interface Tallied {
  accountId: string;
  at: number;
  widgetId: string;
  operatorId: string;
  metric: string;
  value: number;
  byHour: boolean;
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;

const timeZoneQuery = new PreparedQuery((db, v: { accountId: string }) =>
  db.selectFrom('accounts').select('time_zone').where('id', '=', v.accountId),
);

/**
 * localSlot, or the UTC one for a zone this runtime does not know: the zone was checked when it was
 * set, so only a row changed by hand or an older time zone database gets here, and the chat change
 * the rollups go with must not fail for it.
 */
function slotOf(zone: string, at: number): LocalSlot {
  try {
    return localSlot(zone, at);
  } catch (error) {
    if (error instanceof RangeError) return localSlot('UTC', at);
    throw error;
  }
}

/**
 * Rollup increments summed in memory, then written with one statement per row they touch: the events of
 * one transaction (a group commit's messages, which nearly all add to the same few rows) cost one
 * upsert per row instead of one per event. Each account's time zone is read once, in the transaction
 * that writes: the day an event counts under follows the zone as it is when the event commits.
 */
export class RollupTally {
  /** By account, UTC quarter hour (local days and hours change only at one), widget, operator and metric. */
  private readonly tallied = new Map<string, Tallied>();

  add(input: RollupIncrements): void {
    const widgetId = input.widgetId ?? '';
    const operatorId = input.operatorId ?? '';
    const quarter = Math.floor(input.at / QUARTER_HOUR_MS);
    for (const [metric, value] of Object.entries(input.increments)) {
      if (value === 0) continue;
      if (!Number.isSafeInteger(value)) throw new Error(`Rollup ${metric} takes whole numbers, not ${value}`);
      const byHour = input.byHour?.includes(metric) === true;
      // Ids and metric names hold no NUL: joined with it, the name is unique.
      const name = `${input.accountId}\u0000${quarter}\u0000${widgetId}\u0000${operatorId}\u0000${metric}`;
      const entry = this.tallied.get(name);
      if (entry) entry.value += value;
      else
        this.tallied.set(name, {
          accountId: input.accountId,
          at: input.at,
          widgetId,
          operatorId,
          metric,
          value,
          byHour,
        });
    }
  }

  /**
   * Adds the sums to the rollups in the caller's transaction, and starts over. In key order, so that
   * concurrent transactions lock the rows they share in one order.
   */
  async write(db: Executor): Promise<void> {
    const tallied = [...this.tallied.values()];
    this.tallied.clear();
    if (tallied.length === 0) return;
    // Nearly always one account: the messages of a group commit are mostly of one installation's few.
    const zones = new Map<string, string>();
    for (const accountId of new Set(tallied.map((entry) => entry.accountId))) {
      const row = await timeZoneQuery.executeTakeFirst(db, { accountId });
      if (row) zones.set(accountId, row.time_zone);
    }
    const rows = new Map<string, RollupRow>();
    const add = (entry: Tallied, day: string, metric: string) => {
      const name = `${entry.accountId}\u0000${day}\u0000${entry.widgetId}\u0000${entry.operatorId}\u0000${metric}`;
      const row = rows.get(name);
      if (row) row.value += entry.value;
      else
        rows.set(name, {
          account_id: entry.accountId,
          day,
          widget_id: entry.widgetId,
          operator_id: entry.operatorId,
          metric,
          value: entry.value,
        });
    };
    for (const entry of tallied) {
      // An account deleted meanwhile has no zone; its rollup rows then fail on their foreign key.
      const slot = slotOf(zones.get(entry.accountId) ?? 'UTC', entry.at);
      add(entry, slot.day, entry.metric);
      if (entry.byHour) add(entry, slot.day, hourlyMetric(entry.metric, slot.hour));
    }
    const ordered = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    // One prepared statement serves every row; a sum that came to zero changes nothing.
    for (const row of ordered) if (row.value !== 0) await addQuery.execute(db, row);
  }
}

/** One summed rollup: a metric's total over the days asked for, per the grouping asked for. */
export interface RollupSum {
  metric: string;
  day?: string;
  widgetId?: string;
  operatorId?: string;
  value: number;
}

/**
 * Sums an account's rollups over days `fromDay`…`toDay` (inclusive), grouped by metric and optionally
 * by day, widget or operator. Optionally limited to one widget or one operator.
 */
export async function sumRollups(
  db: Executor,
  where: {
    accountId: string;
    fromDay: string;
    toDay: string;
    groupBy?: readonly ('day' | 'widget' | 'operator')[];
    widgetId?: string;
    operatorId?: string;
  },
): Promise<RollupSum[]> {
  const groupBy = new Set(where.groupBy ?? []);
  let query = db
    .selectFrom('rollups')
    .select((eb) => ['metric', eb.fn.sum<number | string>('value').as('total')])
    .where('account_id', '=', where.accountId)
    .where('day', '>=', where.fromDay)
    .where('day', '<=', where.toDay)
    .groupBy('metric')
    .orderBy('metric');
  if (where.widgetId !== undefined) query = query.where('widget_id', '=', where.widgetId);
  if (where.operatorId !== undefined) query = query.where('operator_id', '=', where.operatorId);
  if (groupBy.has('day')) query = query.select('day').groupBy('day').orderBy('day');
  if (groupBy.has('widget')) query = query.select('widget_id').groupBy('widget_id').orderBy('widget_id');
  if (groupBy.has('operator')) query = query.select('operator_id').groupBy('operator_id').orderBy('operator_id');
  const rows = await query.execute();
  return rows.map((row) => {
    // The grouped columns are selected only when asked for; the row type cannot know which.
    const grouped = row as { day?: string; widget_id?: string; operator_id?: string };
    return {
      metric: row.metric,
      ...(groupBy.has('day') && grouped.day !== undefined ? { day: grouped.day } : {}),
      ...(groupBy.has('widget') && grouped.widget_id !== undefined ? { widgetId: grouped.widget_id } : {}),
      ...(groupBy.has('operator') && grouped.operator_id !== undefined ? { operatorId: grouped.operator_id } : {}),
      // PostgreSQL sums bigint into numeric, which pg reads as a string.
      value: Number(row.total),
    };
  });
}
