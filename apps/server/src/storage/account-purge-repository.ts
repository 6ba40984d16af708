import { sql } from 'kysely';
import type { DialectName } from './database.js';
import type { Executor, Schema } from './schema.js';

/** The tables whose rows belong to one account through an `account_id` column. */
export type AccountTable = {
  [T in keyof Schema]: 'account_id' extends keyof Schema[T] ? T : never;
}[keyof Schema];

/**
 * Every table with an `account_id`, in the order the account purge empties them: rows that reference
 * others go first, so no cascade or `set null` does work nobody counted. The keyring goes last but
 * one: the account key is destroyed before anything else (destroyAccountKey), so the subject keys
 * left until then open nothing. The `accounts` row itself goes last (finishAccountPurge).
 */
export const ACCOUNT_PURGE_ORDER = [
  'attachments',
  'messages',
  'conversations',
  'visitors',
  'contacts',
  'operator_sockets',
  'operator_presence',
  'sessions',
  'api_tokens',
  'operator_invitations',
  'canned_responses',
  'account_functions',
  'egress_refusals',
  'deliveries',
  'webhook_endpoints',
  'operators',
  'widgets',
  'rollup_days',
  'rollup_quarters',
  'jobs',
  'audit_log',
  'erasure_records',
  'keyring',
] as const satisfies readonly AccountTable[];

// A table added to the schema with an `account_id` but not to the purge order fails to compile here.
type Unpurged = Exclude<AccountTable, (typeof ACCOUNT_PURGE_ORDER)[number]>;
const everyAccountTablePurged: [Unpurged] extends [never] ? true : Unpurged = true;
void everyAccountTablePurged;

/**
 * Tables without an `account_id` whose rows belong to an account through its conversations: the
 * purge empties them first (deleteConversationRowsOfAccount).
 */
export const CONVERSATION_TABLES = ['conversation_tokens'] as const satisfies readonly (keyof Schema)[];

/** Tables that hold no row of any one account: the purge never touches them. */
export const INSTALLATION_TABLES = ['meta', 'plans'] as const satisfies readonly (keyof Schema)[];

/** The file store prefix under which every file of an account lives (its conversations' files nest in it). */
export function accountFilesPrefix(accountId: string): string {
  return `accounts/${accountId}/`;
}

/**
 * Marks an active account terminated, purged after `purgeAfterAt`; false, changing nothing, when the
 * account is unknown or terminated already.
 */
export async function setAccountTerminated(
  db: Executor,
  input: { accountId: string; at: number; purgeAfterAt: number },
): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ status: 'terminated', terminated_at: input.at, purge_after_at: input.purgeAfterAt })
    .where('id', '=', input.accountId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Makes a terminated account active again, its termination dates cleared, while its purge is not due
 * at `now`; false, changing nothing, otherwise.
 */
export async function setAccountRestored(db: Executor, input: { accountId: string; now: number }): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ status: 'active', terminated_at: null, purge_after_at: null })
    .where('id', '=', input.accountId)
    .where('status', '=', 'terminated')
    .where('purge_after_at', '>', input.now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The terminated accounts whose grace period ended at or before `now`, longest overdue first. */
export async function listAccountsDueForPurge(db: Executor, where: { now: number; limit: number }): Promise<string[]> {
  const rows = await db
    .selectFrom('accounts')
    .select('id')
    .where('status', '=', 'terminated')
    .where('purge_after_at', '<=', where.now)
    .orderBy('purge_after_at')
    .orderBy('id')
    .limit(where.limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Whether the account is terminated and its grace period ended at or before `now`. */
export async function isAccountDueForPurge(db: Executor, where: { accountId: string; now: number }): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('id', '=', where.accountId)
    .where('status', '=', 'terminated')
    .where('purge_after_at', '<=', where.now)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Destroys the account's own key (its wrapped key overwritten with NULL): every key it wraps, and so
 * everything of the account that is sealed, opens no more. Answers the ids destroyed (none the second time).
 */
export async function destroyAccountKey(db: Executor, input: { accountId: string; now: number }): Promise<string[]> {
  const rows = await db
    .updateTable('keyring')
    .set({ wrapped_key: null, destroyed_at: input.now })
    .where('account_id', '=', input.accountId)
    .where('kind', '=', 'account')
    .where('destroyed_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Deletes the account's rows from one table, at most `limit` of them when given; answers how many
 * went. A batch is picked by each row's physical id, which every table has whatever its key.
 */
export async function deleteAccountRows(
  db: Executor,
  input: { dialect: DialectName; table: AccountTable; accountId: string; limit?: number },
): Promise<number> {
  const table = sql.table(input.table);
  if (input.limit === undefined) {
    const all = await sql`delete from ${table} where account_id = ${input.accountId}`.execute(db);
    return Number(all.numAffectedRows ?? 0n);
  }
  // Dialect branch: SQLite's rowid, PostgreSQL's ctid (stable within one statement).
  const rowId = sql.raw(input.dialect === 'sqlite' ? 'rowid' : 'ctid');
  const result = await sql`
    delete from ${table} where ${rowId} in (
      select ${rowId} from ${table} where account_id = ${input.accountId} limit ${input.limit}
    )
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Deletes the search index words of the account's conversations, at most `limit` of them when given;
 * answers how many went. A batch is picked by the rows' primary key, through the conversations.
 */
export async function deleteConversationTokensOfAccount(
  db: Executor,
  input: { accountId: string; limit?: number },
): Promise<number> {
  const ofAccount = db.selectFrom('conversations').select('id').where('account_id', '=', input.accountId);
  if (input.limit === undefined) {
    const all = await db.deleteFrom('conversation_tokens').where('conversation_id', 'in', ofAccount).executeTakeFirst();
    return Number(all.numDeletedRows);
  }
  const result = await sql`
    delete from conversation_tokens where (conversation_id, token) in (
      select conversation_id, token from conversation_tokens
      where conversation_id in (${ofAccount}) limit ${input.limit}
    )
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Deletes the account's row; its other rows are gone by then (or go by cascade). False when none was left. */
export async function deleteAccountRow(db: Executor, accountId: string): Promise<boolean> {
  const result = await db.deleteFrom('accounts').where('id', '=', accountId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** When the account was purged, from its erasure record; undefined when it never was. */
export async function findAccountPurge(db: Executor, accountId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('erasure_records')
    .select('erased_at')
    .where('subject_kind', '=', 'account')
    .where('subject_id', '=', accountId)
    .executeTakeFirst();
  return row?.erased_at;
}
