import { sql, type Compilable, type RawBuilder } from 'kysely';
import { localSlot, type LocalSlot } from './local-time.js';
import { PreparedQuery } from './prepared-query.js';
import { HOURLY_METRICS, hourlyMetric, metricIndex, ROLLUP_COLUMNS, ROLLUP_METRICS } from './rollup-metrics.js';
import type { Executor } from './schema.js';

/**
 * What an event adds to an account's rollups: the local day of `at` in the account's time zone, its
 * widget and operator, and per metric (storage/rollup-metrics.ts) how much. The hourly metrics are
 * also counted in the local hour of `at` (the reports' busiest hours).
 */
export interface RollupIncrements {
  accountId: string;
  at: number;
  widgetId?: string | null;
  operatorId?: string | null;
  increments: Readonly<Record<string, number>>;
}

/**
 * Adds to an account's rollups for the local day of `at`: to the row of its widget and operator (''
 * when the event has none) and to the rows that sum over all widgets, all operators or both (`ALL`),
 * and to the rollup events of its quarter hour. Runs in the caller's transaction, so a chat change
 * and its analytics commit together. Rollups hold counts and sums only: no personal data.
 */
export async function addToRollups(db: Executor, input: RollupIncrements): Promise<void> {
  const tally = new RollupTally();
  tally.add(input);
  await tally.write(db);
}

/**
 * The widget or operator id of a rollup_days row that sums the rows of every widget or every operator
 * (and `''`, none): a report reads a year from 365 such rows instead of a row per widget and operator
 * each day. No id is `*`.
 */
export const ALL = '*';

/** Counts by metric, in the order of ROLLUP_METRICS. */
type Counts = Float64Array;
const Counts = Float64Array;

/** Increments as tallied: their day and hour are known once the account's time zone is. */
interface Tallied {
  accountId: string;
  quarter: number;
  widgetId: string;
  operatorId: string;
  counts: Counts;
}

/** A row to add to, with its key columns and counts. */
interface Addition {
  key: Readonly<Record<string, string | number>>;
  counts: Counts;
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;

/** Per hourly metric: its index and the indexes of its 24 hours. */
const HOURLY_INDEXES = [...HOURLY_METRICS].map((metric) => ({
  index: metricIndex(metric),
  hours: Array.from({ length: 24 }, (_, hour) => metricIndex(hourlyMetric(metric, hour))),
}));

const DAY_KEY = ['account_id', 'widget_id', 'operator_id', 'day'] as const;
const QUARTER_KEY = ['account_id', 'day', 'quarter', 'widget_id', 'operator_id'] as const;

/** A query built from SQL text: compiled on the executor it was built for. */
function compilable<Row>(db: Executor, query: RawBuilder<Row>): Compilable<Row> {
  return { compile: () => query.compile(db) };
}

/**
 * Adds a row's counts to the one of its key, or inserts it: `count = count + excluded.count` per
 * column, NULL standing for zero (a NULL costs no storage, a zero does on PostgreSQL).
 */
function upsertInto(table: 'rollup_days' | 'rollup_quarters', key: readonly string[]) {
  const columns = [...key, ...ROLLUP_COLUMNS];
  return new PreparedQuery((db, v: Record<string, unknown>) =>
    compilable(
      db,
      sql`insert into ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))})
        values (${sql.join(columns.map((column) => v[column]))})
        on conflict (${sql.join(key.map((column) => sql.ref(column)))}) do update set ${sql.join(
          ROLLUP_COLUMNS.map(
            (column) =>
              sql`${sql.ref(column)} = nullif(coalesce(${sql.ref(`${table}.${column}`)}, 0) + coalesce(${sql.ref(
                `excluded.${column}`,
              )}, 0), 0)`,
          ),
        )}`,
    ),
  );
}

const addToDay = upsertInto('rollup_days', DAY_KEY);
const addToQuarter = upsertInto('rollup_quarters', QUARTER_KEY);

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

/** Adds `counts` to the addition of `key` in `into`, named by its values joined. */
function addInto(into: Map<string, Addition>, key: Record<string, string | number>, counts: Counts): void {
  // Ids and days hold no NUL: joined with it, the name is unique.
  const name = Object.values(key).join('\u0000');
  const addition = into.get(name);
  if (addition) addition.counts.forEach((count, index) => (addition.counts[index] = count + (counts[index] as number)));
  else into.set(name, { key, counts: Counts.from(counts) });
}

/** Adds a row of one widget and operator to `into`, and to the rows that sum over them (ALL). */
function addWithSums(
  into: Map<string, Addition>,
  row: { accountId: string; widgetId: string; operatorId: string; day: string },
  counts: Counts,
): void {
  for (const widgetId of [row.widgetId, ALL]) {
    for (const operatorId of [row.operatorId, ALL]) {
      addInto(into, { account_id: row.accountId, widget_id: widgetId, operator_id: operatorId, day: row.day }, counts);
    }
  }
}

/**
 * Rollup increments summed in memory, then written with one statement per row they touch: the events of
 * one transaction (a group commit's messages, which nearly all add to the same few rows) cost one
 * upsert per row instead of one per event. Each account's time zone is read once, in the transaction
 * that writes: the day an event counts under follows the zone as it is when the event commits.
 */
export class RollupTally {
  /** By account, UTC quarter hour (local days and hours change only at one), widget and operator. */
  private readonly tallied = new Map<string, Tallied>();

  add(input: RollupIncrements): void {
    const widgetId = input.widgetId ?? '';
    const operatorId = input.operatorId ?? '';
    const quarter = Math.floor(input.at / QUARTER_HOUR_MS);
    // Ids hold no NUL: joined with it, the name is unique.
    const name = `${input.accountId}\u0000${quarter}\u0000${widgetId}\u0000${operatorId}`;
    let entry = this.tallied.get(name);
    for (const [metric, value] of Object.entries(input.increments)) {
      if (value === 0) continue;
      if (!Number.isSafeInteger(value)) throw new Error(`Rollup ${metric} takes whole numbers, not ${value}`);
      const index = metricIndex(metric);
      if (!entry) {
        entry = {
          accountId: input.accountId,
          quarter,
          widgetId,
          operatorId,
          counts: new Counts(ROLLUP_METRICS.length),
        };
        this.tallied.set(name, entry);
      }
      entry.counts[index] = (entry.counts[index] as number) + value;
    }
  }

  /**
   * Adds the sums to the rollups in the caller's transaction, and starts over. In key order, days
   * first, so that concurrent transactions lock the rows they share in one order.
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
    const days = new Map<string, Addition>();
    const quarters = new Map<string, Addition>();
    for (const entry of tallied) {
      // An account deleted meanwhile has no zone; its rollup rows then fail on their foreign key.
      const slot = slotOf(zones.get(entry.accountId) ?? 'UTC', entry.quarter * QUARTER_HOUR_MS);
      const counts = entry.counts;
      for (const { index, hours } of HOURLY_INDEXES) {
        const hourly = hours[slot.hour] as number;
        counts[hourly] = (counts[hourly] as number) + (counts[index] as number);
      }
      const { accountId, widgetId, operatorId, quarter } = entry;
      addWithSums(days, { accountId, widgetId, operatorId, day: slot.day }, counts);
      addInto(
        quarters,
        { account_id: accountId, day: slot.day, quarter, widget_id: widgetId, operator_id: operatorId },
        counts,
      );
    }
    await writeAdditions(db, addToDay, days);
    await writeAdditions(db, addToQuarter, quarters);
  }
}

/** Runs `query` for each addition with a count other than zero, in the order of their names. */
async function writeAdditions(
  db: Executor,
  query: ReturnType<typeof upsertInto>,
  additions: ReadonlyMap<string, Addition>,
): Promise<void> {
  const names = [...additions.keys()].sort();
  for (const name of names) {
    // A name of the map's own keys.
    const { key, counts } = additions.get(name) as Addition;
    // Increments that cancel out (a rating replaced by the same one) change nothing.
    if (counts.every((count) => count === 0)) continue;
    const values: Record<string, unknown> = { ...key };
    ROLLUP_COLUMNS.forEach((column, index) => {
      values[column] = counts[index] === 0 ? null : counts[index];
    });
    await query.execute(db, values);
  }
}

/** An account's rollup_days rows by key (widget, operator and day joined with NUL), counts as stored. */
export type RollupDays = Map<string, { widgetId: string; operatorId: string; day: string; counts: Counts }>;

function countsOf(row: Record<string, unknown>): Counts {
  return Counts.from(ROLLUP_COLUMNS, (column) => Number(row[column] ?? 0));
}

function addDayRow(days: RollupDays, row: { widgetId: string; operatorId: string; day: string }, counts: Counts) {
  const name = `${row.widgetId}\u0000${row.operatorId}\u0000${row.day}`;
  const known = days.get(name);
  if (known) known.counts.forEach((count, index) => (known.counts[index] = count + (counts[index] as number)));
  else days.set(name, { ...row, counts: Counts.from(counts) });
}

/** An account's rollup_days rows as stored, the sums over widgets and operators too; optionally of some days. */
export async function storedRollupDays(
  db: Executor,
  where: { accountId: string; days?: readonly string[] },
): Promise<RollupDays> {
  let query = db
    .selectFrom('rollup_days')
    .select(['widget_id', 'operator_id', 'day', ...ROLLUP_COLUMNS.map((column) => sql.ref(column).as(column))])
    .where('account_id', '=', where.accountId);
  if (where.days) query = query.where('day', 'in', where.days);
  const days: RollupDays = new Map();
  // The count columns are named at run time, so the row type cannot list them.
  for (const row of (await query.execute()) as Record<string, unknown>[]) {
    const key = { widgetId: String(row.widget_id), operatorId: String(row.operator_id), day: String(row.day) };
    addDayRow(days, key, countsOf(row));
  }
  return days;
}

/**
 * An account's rollup_days rows as its rollup_quarters recount them: the rows of each widget and
 * operator, and the sums over them; optionally of some days only.
 */
export async function recountedRollupDays(
  db: Executor,
  where: { accountId: string; days?: readonly string[] },
): Promise<RollupDays> {
  let query = db
    .selectFrom('rollup_quarters')
    .select([
      'widget_id',
      'operator_id',
      'day',
      ...ROLLUP_COLUMNS.map((column) => sql<number | string | null>`sum(${sql.ref(column)})`.as(column)),
    ])
    .where('account_id', '=', where.accountId)
    .groupBy(['widget_id', 'operator_id', 'day']);
  if (where.days) query = query.where('day', 'in', where.days);
  const days: RollupDays = new Map();
  // The count columns are named at run time, so the row type cannot list them.
  for (const row of (await query.execute()) as Record<string, unknown>[]) {
    const counts = countsOf(row);
    for (const widgetId of [String(row.widget_id), ALL]) {
      for (const operatorId of [String(row.operator_id), ALL]) {
        addDayRow(days, { widgetId, operatorId, day: String(row.day) }, counts);
      }
    }
  }
  // A row whose counts cancel out to zero is not stored either.
  for (const [name, row] of days) if (row.counts.every((count) => count === 0)) days.delete(name);
  return days;
}

/**
 * Sets an account's rollup_days rows of `days` to what its quarters recount, in the caller's
 * transaction. The caller keeps other writers of the rows out until it commits.
 */
export async function rewriteRollupDays(db: Executor, where: { accountId: string; days: readonly string[] }) {
  if (where.days.length === 0) return;
  await db.deleteFrom('rollup_days').where('account_id', '=', where.accountId).where('day', 'in', where.days).execute();
  const additions = new Map<string, Addition>();
  for (const row of (await recountedRollupDays(db, where)).values()) {
    const key = { account_id: where.accountId, widget_id: row.widgetId, operator_id: row.operatorId, day: row.day };
    addInto(additions, key, row.counts);
  }
  await writeAdditions(db, addToDay, additions);
}
