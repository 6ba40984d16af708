import { PreparedQuery } from './prepared-query.js';
import type { Executor, RollupRow } from './schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;
let lastDay = { index: Number.NaN, day: '' };

/** The UTC day of an epoch-milliseconds time, as rollups key it: `YYYY-MM-DD`. */
export function rollupDay(at: number): string {
  // Every message asks for the day; nearly all ask for the same one.
  const index = Math.floor(at / DAY_MS);
  if (index !== lastDay.index) lastDay = { index, day: new Date(at).toISOString().slice(0, 10) };
  return lastDay.day;
}

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

/** What an event adds to an account's rollups: the day of `at`, its widget and operator, and per metric how much. */
export interface RollupIncrements {
  accountId: string;
  at: number;
  widgetId?: string | null;
  operatorId?: string | null;
  increments: Readonly<Record<string, number>>;
}

/**
 * Adds to an account's rollups for the day of `at`, one row per metric, keyed by widget and operator
 * ('' when the event has none). Runs in the caller's transaction, so a chat change and its analytics
 * commit together. Rollups hold counts and sums only: no personal data.
 */
export async function addToRollups(db: Executor, input: RollupIncrements): Promise<void> {
  const tally = new RollupTally();
  tally.add(input);
  await tally.write(db);
}

/**
 * Rollup increments summed in memory, then written with one statement per row they touch: the events of
 * one transaction (a group commit's messages, which nearly all add to the same few rows) cost one
 * upsert per row instead of one per event.
 */
export class RollupTally {
  private readonly rows = new Map<string, RollupRow>();

  add(input: RollupIncrements): void {
    const day = rollupDay(input.at);
    const widgetId = input.widgetId ?? '';
    const operatorId = input.operatorId ?? '';
    for (const [metric, value] of Object.entries(input.increments)) {
      if (value === 0) continue;
      if (!Number.isSafeInteger(value)) throw new Error(`Rollup ${metric} takes whole numbers, not ${value}`);
      // Ids, a day and a metric name hold no NUL: joined with it, the name is unique.
      const name = `${input.accountId}\u0000${day}\u0000${widgetId}\u0000${operatorId}\u0000${metric}`;
      const row = this.rows.get(name);
      if (row) row.value += value;
      else
        this.rows.set(name, {
          account_id: input.accountId,
          day,
          widget_id: widgetId,
          operator_id: operatorId,
          metric,
          value,
        });
    }
  }

  /**
   * Adds the sums to the rollups in the caller's transaction, and starts over. In key order, so that
   * concurrent transactions lock the rows they share in one order.
   */
  async write(db: Executor): Promise<void> {
    const rows = [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    this.rows.clear();
    // One prepared statement serves every row; a sum that came to zero changes nothing.
    for (const row of rows) if (row.value !== 0) await addQuery.execute(db, row);
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
