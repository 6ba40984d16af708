import type { Executor } from './schema.js';

/** Reads one installation-level setting. */
export async function getMeta(db: Executor, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Writes one installation-level setting. */
export async function setMeta(db: Executor, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/**
 * Holds the installation's start-up lock until the transaction ends, so that nodes starting at once
 * check and create the installation keys one after another: a write to one `meta` row, which waits
 * for the row lock on PostgreSQL and holds the write lock on SQLite.
 */
export async function lockInstallation(db: Executor): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key: 'startup_lock', value: '' })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: '' }))
    .execute();
}
