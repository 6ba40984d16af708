import { sql, type CreateTableBuilder, type Kysely, type Migration, type Transaction } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The rollups as counted when this migration was written: the metric of each count column. Frozen
 * here (the live list is storage/rollup-metrics.ts, which a later migration may extend).
 */
const METRICS: readonly string[] = [
  'conversations.started',
  'conversations.closed',
  'conversations.missed',
  'offline_messages.received',
  'messages.visitor',
  'messages.operator',
  'first_response.count',
  'first_response.total_ms',
  ...[5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600].map((s) => `first_response.le_${s}s`),
  'first_response.le_inf',
  'duration.total_ms',
  ...[60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 28800, 86400].map((s) => `duration.le_${s}s`),
  'duration.le_inf',
  'ratings.count',
  'ratings.sum',
  ...[1, 2, 3, 4, 5].map((rating) => `ratings.r${rating}`),
  ...Array.from({ length: 24 }, (_, hour) => `conversations.started.h${String(hour).padStart(2, '0')}`),
];

/**
 * One rollup row per account, widget, operator and day, with a column per metric, in place of one row
 * per metric; and rows that sum over every widget, every operator or both (`*`), so that a year's
 * report of an account reads 365 rows for its totals and days (docs/REPORTS.md). `rollup_days` takes
 * the place of `rollups`; a count that is zero is NULL, which both databases store in no more than a
 * bit. Its key leads with the widget and operator, so that the rows of a report are one range.
 *
 * `rollup_quarters` keeps the counts of each widget and operator per UTC quarter hour (the events,
 * summed where they share one) and the local day they counted under, so that `plauder reports verify`
 * can recount the days from them. The days counted before it existed become one row each, of quarter
 * -1.
 */
export function wideRollups(dialect: DialectName): Migration {
  const count = dialect === 'postgres' ? 'bigint' : 'integer';
  const columns = METRICS.map((metric) => metric.replaceAll('.', '_'));
  const create = async (db: Kysely<unknown>, table: 'rollup_days' | 'rollup_quarters') => {
    let builder: CreateTableBuilder<string, string> = db.schema
      .createTable(table)
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('widget_id', 'text', (c) => c.notNull())
      .addColumn('operator_id', 'text', (c) => c.notNull());
    if (table === 'rollup_quarters') builder = builder.addColumn('quarter', 'integer', (c) => c.notNull());
    for (const column of columns) builder = builder.addColumn(column, count);
    const key =
      table === 'rollup_days'
        ? ['account_id', 'widget_id', 'operator_id', 'day']
        : ['account_id', 'day', 'quarter', 'widget_id', 'operator_id'];
    await builder.addPrimaryKeyConstraint(`${table}_pk`, key).execute();
  };
  const migrate = async (db: Kysely<unknown> | Transaction<unknown>) => {
    const unknown = await sql<{ metric: string }>`select distinct metric from rollups where metric not in (${sql.join(
      METRICS,
    )})`.execute(db);
    if (unknown.rows.length > 0) {
      throw new Error(`The rollups hold metrics no column is for: ${unknown.rows.map((row) => row.metric).join(', ')}`);
    }
    await create(db, 'rollup_days');
    await create(db, 'rollup_quarters');
    const sums = sql.join(
      METRICS.map(
        (metric, index) =>
          sql`nullif(sum(case when metric = ${metric} then value else 0 end), 0) as ${sql.ref(columns[index] as string)}`,
      ),
    );
    const counted = sql.join(columns.map((column) => sql.ref(column)));
    const summed = sql.join(columns.map((column) => sql`nullif(sum(${sql.ref(column)}), 0)`));
    await sql`insert into rollup_days (account_id, day, widget_id, operator_id, ${counted})
      select account_id, day, widget_id, operator_id, ${sums} from rollups
      group by account_id, day, widget_id, operator_id`.execute(db);
    await sql`insert into rollup_quarters (account_id, day, quarter, widget_id, operator_id, ${counted})
      select account_id, day, -1, widget_id, operator_id, ${counted} from rollup_days`.execute(db);
    // The sums over every widget, every operator, and both, from the rows of each.
    for (const [widget, operator] of [
      ['*', 'operator_id'],
      ['widget_id', '*'],
      ['*', '*'],
    ] as const) {
      const kept = [widget, operator].filter((column) => column !== '*').map((column) => sql.ref(column));
      const value = (column: string) => (column === '*' ? sql.lit('*') : sql.ref(column));
      await sql`insert into rollup_days (account_id, day, widget_id, operator_id, ${counted})
        select account_id, day, ${value(widget)}, ${value(operator)}, ${summed} from rollup_quarters
        group by ${sql.join([sql.ref('account_id'), sql.ref('day'), ...kept])}`.execute(db);
    }
    await db.schema.dropTable('rollups').execute();
  };
  return {
    async up(db: Kysely<unknown>) {
      // PostgreSQL runs each migration in a transaction; SQLite's migrations run outside one.
      if (dialect === 'postgres') await migrate(db);
      else await db.transaction().execute(migrate);
    },
  };
}
