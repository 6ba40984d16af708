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

/** The settings of an account an owner or admin may change; a field left out stays as it is. */
export interface AccountSettings {
  name?: string;
  retentionMonths?: number;
  showVisitorIp?: boolean;
  timeZone?: string;
}

/** Changes the given settings of an account; false, changing nothing, for an unknown id. */
export async function updateAccountSettings(
  db: Executor,
  input: { accountId: string; settings: AccountSettings },
): Promise<boolean> {
  const { name, retentionMonths, showVisitorIp, timeZone } = input.settings;
  const result = await db
    .updateTable('accounts')
    .set({
      ...(name === undefined ? {} : { name }),
      ...(retentionMonths === undefined ? {} : { retention_months: retentionMonths }),
      ...(showVisitorIp === undefined ? {} : { show_visitor_ip: showVisitorIp ? 1 : 0 }),
      ...(timeZone === undefined ? {} : { time_zone: timeZone }),
    })
    .where('id', '=', input.accountId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Whether an account shows its visitors' IP addresses (and so stores them, sealed, for 24 hours). */
export async function showsVisitorIp(db: Executor, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('show_visitor_ip').where('id', '=', accountId).executeTakeFirst();
  return row?.show_visitor_ip === 1;
}
