import type { Executor } from '../storage/schema.js';

/** Every rollup row in a fixed order: what "the reports stay unchanged" compares, row for row. */
export async function allRollups(db: Executor): Promise<Record<string, unknown>[]> {
  const days = await db
    .selectFrom('rollup_days')
    .selectAll()
    .orderBy(['account_id', 'day', 'widget_id', 'operator_id'])
    .execute();
  const quarters = await db
    .selectFrom('rollup_quarters')
    .selectAll()
    .orderBy(['account_id', 'day', 'quarter', 'widget_id', 'operator_id'])
    .execute();
  return [
    ...days.map((row) => ({ table: 'rollup_days', ...row })),
    ...quarters.map((row) => ({ table: 'rollup_quarters', ...row })),
  ];
}

/** The ids of every conversation in the database, sorted. */
export async function allConversationIds(db: Executor): Promise<string[]> {
  return (await db.selectFrom('conversations').select('id').orderBy('id').execute()).map((c) => c.id);
}
