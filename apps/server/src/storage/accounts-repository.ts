import type { AccountRow, Executor } from './schema.js';

/** Inserts an account row. */
export async function insertAccount(
  db: Executor,
  input: { id: string; name: string; plan: string; retentionMonths: number; now: number },
): Promise<void> {
  await db
    .insertInto('accounts')
    .values({
      id: input.id,
      name: input.name,
      plan: input.plan,
      status: 'active',
      retention_months: input.retentionMonths,
      created_at: input.now,
      terminated_at: null,
      purge_after_at: null,
    })
    .execute();
}

/** One account by id. */
export function findAccount(db: Executor, accountId: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
}

/** Every account, oldest first (installation administration: CLI only). */
export function listAccounts(db: Executor): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
}

/**
 * Locks an account's row until the transaction ends, so checks over several of its rows (such as
 * "is this the last owner?") cannot interleave. PostgreSQL takes the row lock; on SQLite the write
 * transaction (BEGIN IMMEDIATE) holds the database lock already.
 */
export async function lockAccount(db: Executor, accountId: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('id', '=', accountId)
    .execute();
}
