import { findAccount, listAccounts } from '../../storage/accounts-repository.js';
import type { Executor } from '../../storage/schema.js';
import { AppError } from '../errors.js';

/**
 * The accounts an installation-wide command goes through: every one, oldest first, or only the one it
 * names. Throws `not_found` for an id that is no account's.
 */
export async function accountIdsToWalk(db: Executor, accountId: string | undefined): Promise<string[]> {
  if (accountId === undefined) return (await listAccounts(db)).map((account) => account.id);
  if (!(await findAccount(db, accountId))) {
    throw new AppError('not_found', `No account with id ${accountId}; plauder account list shows them`);
  }
  return [accountId];
}
