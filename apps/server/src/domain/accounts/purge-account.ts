import type { Context } from '../../context.js';
import {
  ACCOUNT_PURGE_ORDER,
  accountFilesPrefix,
  deleteAccountRow,
  deleteAccountRows,
  deleteConversationTokensOfAccount,
  destroyAccountKey,
  isAccountDueForPurge,
} from '../../storage/account-purge-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { scrubAfterErasure } from '../../storage/database.js';
import { insertErasureRecord } from '../../storage/erasure-records-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';

/** Rows one statement deletes at most: large tables (messages) go in many short write transactions. */
export const ACCOUNT_PURGE_BATCH_SIZE = 1000;

/** What a purge removed: rows of every table (this run's), files, and whether the account is gone now. */
export interface AccountPurge {
  purged: boolean;
  rows: number;
  files: number;
}

/**
 * Deletes a terminated account whose grace period has ended (P5). First its account key is destroyed,
 * so everything sealed of it opens no more, from the database or any backup; then its conversations'
 * search index words go (CONVERSATION_TABLES) and every table with an `account_id` is emptied of its rows in batches of at most `batchSize` (ACCOUNT_PURGE_ORDER, the
 * keyring's rows last), its files leave the file store (its whole prefix), and one transaction deletes
 * the account's row and writes what stays: an erasure record (subject `account`) and the audit entry
 * `account.purged`, ids and a count only. Killed at any point, a second run goes on where it stopped.
 * An account that is not due (unknown, active, or in its grace period) is left alone: `purged: false`.
 * `afterBatch` hears the running row count after each committed batch (the job reports progress there).
 */
export async function purgeAccount(
  ctx: Context,
  input: { accountId: string; batchSize?: number; afterBatch?: (rows: number) => Promise<void> },
): Promise<AccountPurge> {
  const { accountId } = input;
  const limit = input.batchSize ?? ACCOUNT_PURGE_BATCH_SIZE;
  const db = ctx.database.db;
  const now = ctx.clock.now();
  if (!(await isAccountDueForPurge(db, { accountId, now }))) return { purged: false, rows: 0, files: 0 };

  const keyIds = await destroyAccountKey(db, { accountId, now });
  ctx.keyring.forget(keyIds);
  let rows = 0;
  for (;;) {
    const n = await deleteConversationTokensOfAccount(db, { accountId, limit });
    rows += n;
    if (n === 0) break;
    await input.afterBatch?.(rows);
    if (n < limit) break;
  }
  for (const table of ACCOUNT_PURGE_ORDER) {
    for (;;) {
      const n = await deleteAccountRows(db, { dialect: ctx.database.dialect, table, accountId, limit });
      rows += n;
      if (n === 0) break;
      await input.afterBatch?.(rows);
      if (n < limit) break;
    }
  }
  // Before the last transaction, so a run killed after it has left no file behind; again after it,
  // for a file an upload in flight stored meanwhile.
  let files = await ctx.fileStore.deletePrefix(accountFilesPrefix(accountId));

  await inTransaction(ctx.store, async (tx) => {
    // Rows written while the batches ran (a session, an audit entry) go here, unbounded: few, if any.
    // The tables with a foreign key to accounts would lose theirs by cascade; the others would not.
    rows += await deleteConversationTokensOfAccount(tx.db, { accountId });
    for (const table of ACCOUNT_PURGE_ORDER) {
      rows += await deleteAccountRows(tx.db, { dialect: ctx.database.dialect, table, accountId });
    }
    if (!(await deleteAccountRow(tx.db, accountId))) return;
    await insertErasureRecord(tx.db, {
      accountId,
      subjectKind: 'account',
      subjectId: accountId,
      reason: 'account purge after termination',
      at: now,
    });
    await insertAuditEntry(tx.db, {
      accountId,
      actorKind: 'system',
      actorId: null,
      action: 'account.purged',
      targetKind: 'account',
      targetIds: [accountId],
      count: rows,
      at: now,
    });
  });
  try {
    files += await ctx.fileStore.deletePrefix(accountFilesPrefix(accountId));
  } catch (error) {
    ctx.logger.error({ err: error, accountId }, 'Could not delete the files of a purged account a second time');
  }
  try {
    await scrubAfterErasure(ctx.database);
  } catch (error) {
    ctx.logger.error({ err: error }, 'Could not checkpoint the WAL after an account purge');
  }
  return { purged: true, rows, files };
}
