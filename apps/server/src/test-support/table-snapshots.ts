import type { Executor, RollupRow } from '../storage/schema.js';

/** Every rollup row in a fixed order: what "the reports stay unchanged" compares, row for row. */
export function allRollups(db: Executor): Promise<RollupRow[]> {
  return db
    .selectFrom('rollups')
    .selectAll()
    .orderBy('account_id')
    .orderBy('day')
    .orderBy('widget_id')
    .orderBy('operator_id')
    .orderBy('metric')
    .execute();
}

/** The ids of every conversation in the database, sorted. */
export async function allConversationIds(db: Executor): Promise<string[]> {
  return (await db.selectFrom('conversations').select('id').orderBy('id').execute()).map((c) => c.id);
}
