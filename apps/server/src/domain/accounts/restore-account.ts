import type { Context } from '../../context.js';
import { findAccount, lockAccount } from '../../storage/accounts-repository.js';
import { findAccountPurge, setAccountRestored } from '../../storage/account-purge-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError } from '../errors.js';
import { actorOf, type CliActor } from '../principal.js';
import { accountOf, type Account } from './get-account.js';

/**
 * Makes a terminated account active again during its grace period (the installation's administrator,
 * at the command line): its widgets serve again, its operators write again, the purge dates are
 * cleared. An account that is not terminated, or whose grace period has ended (the purge is due or
 * done), answers `account_not_terminated`; an id never known `not_found`. Audited as `account.restored`.
 */
export async function restoreAccount(ctx: Context, input: { by: CliActor }): Promise<Account> {
  const { accountId } = input.by;
  const now = ctx.clock.now();
  return inTransaction(ctx.store, async (tx) => {
    await lockAccount(tx.db, accountId);
    const row = await findAccount(tx.db, accountId);
    if (!row) {
      const purgedAt = await findAccountPurge(tx.db, accountId);
      if (purgedAt === undefined) {
        throw new AppError('not_found', `No account with id ${accountId}; plauder account list shows them`);
      }
      throw new AppError(
        'account_not_terminated',
        `The account ${accountId} was purged on ${new Date(purgedAt).toISOString()}; nothing of it is left to restore`,
      );
    }
    if (row.status !== 'terminated') {
      throw new AppError('account_not_terminated', `The account ${accountId} is active; there is nothing to restore`);
    }
    if (!(await setAccountRestored(tx.db, { accountId, now }))) {
      throw new AppError(
        'account_not_terminated',
        `The grace period of account ${accountId} ended on ${new Date(row.purge_after_at ?? now).toISOString()}; its purge is due or under way, so it can no longer be restored`,
      );
    }
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(input.by),
      action: 'account.restored',
      targetKind: 'account',
      targetIds: [accountId],
      at: now,
    });
    return accountOf({ ...row, status: 'active', terminated_at: null, purge_after_at: null });
  });
}
