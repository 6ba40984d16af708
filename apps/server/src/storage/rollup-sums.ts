import { sql } from 'kysely';
import { metricIndex, ROLLUP_COLUMNS, ROLLUP_METRICS } from './rollup-metrics.js';
import { ALL } from './rollups-repository.js';
import type { Executor } from './schema.js';

/** The sums of a group of rollup rows by metric (those that are not zero), with what it is grouped by. */
export interface RollupGroup {
  day?: string;
  widgetId?: string;
  operatorId?: string;
  sums: Map<string, number>;
}

/** What to sum: an account's days `fromDay`…`toDay` (both counted), optionally one widget's or operator's. */
export interface RollupRange {
  accountId: string;
  fromDay: string;
  toDay: string;
  widgetId?: string;
  operatorId?: string;
}

/** What rollup sums can be grouped by. */
export type RollupGrouping = 'day' | 'widget' | 'operator';

/** What rollup sums can be grouped by: the column, and the field of RollupGroup that tells it. */
const GROUPINGS = [
  { by: 'day', column: 'day', field: 'day' },
  { by: 'widget', column: 'widget_id', field: 'widgetId' },
  { by: 'operator', column: 'operator_id', field: 'operatorId' },
] as const;

/**
 * Sums an account's rollups over a range of days, grouped by day, widget or operator as asked, in the
 * order of those; only `metrics` when given. Without grouping, one group (with no sums when nothing was
 * counted). Reads the rows that already sum over the widgets or operators neither filtered nor
 * grouped by.
 */
export async function sumRollupGroups(
  db: Executor,
  range: RollupRange,
  options: { groupBy?: readonly RollupGrouping[]; metrics?: readonly string[] } = {},
): Promise<RollupGroup[]> {
  const { groupBy = [], metrics = ROLLUP_METRICS } = options;
  const grouped = GROUPINGS.filter(({ by }) => groupBy.includes(by));
  const columns = metrics.map((metric) => ({ metric, column: ROLLUP_COLUMNS[metricIndex(metric)] as string }));
  let query = db
    .selectFrom('rollup_days')
    .select(columns.map(({ column }) => sql<number | string | null>`sum(${sql.ref(column)})`.as(column)))
    .where('account_id', '=', range.accountId)
    .where('day', '>=', range.fromDay)
    .where('day', '<=', range.toDay);
  const levels = [
    ['widget_id', range.widgetId, groupBy.includes('widget')],
    ['operator_id', range.operatorId, groupBy.includes('operator')],
  ] as const;
  for (const [column, id, each] of levels) {
    if (id !== undefined) query = query.where(column, '=', id);
    else query = query.where(column, each ? '<>' : '=', ALL);
  }
  for (const { column } of grouped) query = query.select(column).groupBy(column).orderBy(column);
  // The selected columns are named at run time, so the row type cannot list them.
  const rows = (await query.execute()) as Record<string, number | string | null>[];
  return rows.map((row) => {
    const group: RollupGroup = { sums: new Map() };
    for (const { column, field } of grouped) group[field] = String(row[column]);
    for (const { metric, column } of columns) {
      // PostgreSQL sums bigint into numeric, which pg reads as a string.
      const sum = Number(row[column] ?? 0);
      if (sum !== 0) group.sums.set(metric, sum);
    }
    return group;
  });
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
 * sumRollupGroups, a row per metric that is not zero: ordered by metric, then by what they are
 * grouped by.
 */
export async function sumRollups(
  db: Executor,
  where: RollupRange & { groupBy?: readonly RollupGrouping[] },
): Promise<RollupSum[]> {
  const sums: RollupSum[] = [];
  for (const { sums: byMetric, ...grouped } of await sumRollupGroups(db, where, { groupBy: where.groupBy ?? [] })) {
    for (const [metric, value] of byMetric) sums.push({ metric, ...grouped, value });
  }
  const order = (sum: RollupSum) => [sum.metric, sum.day ?? '', sum.widgetId ?? '', sum.operatorId ?? ''];
  return sums.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    const differs = x.findIndex((part, index) => part !== y[index]);
    return differs === -1 ? 0 : (x[differs] as string) < (y[differs] as string) ? -1 : 1;
  });
}
