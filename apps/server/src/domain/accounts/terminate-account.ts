import { z } from 'zod';
import type { Context } from '../../context.js';
import { findAccount, lockAccount } from '../../storage/accounts-repository.js';
import { setAccountTerminated } from '../../storage/account-purge-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import type { AccountRow } from '../../storage/schema.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type CliActor, type Principal } from '../principal.js';
import { accountOf, type Account } from './get-account.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The longest grace period, in days, as ACCOUNT_GRACE_DAYS allows it. */
const MAX_GRACE_DAYS = 365;

/**
 * The bus channel of the installation's account lifecycle. Every node's gateway follows it: a
 * terminated account's chat windows must stop writing at once, on whichever node they are.
 */
export const ACCOUNTS_CHANNEL = 'accounts';

/** What travels on ACCOUNTS_CHANNEL. */
export const AccountLifecycleEvent = z.object({ type: z.literal('account.terminated'), accountId: z.string() });
/** An event of ACCOUNTS_CHANNEL. */
export type AccountLifecycleEvent = z.infer<typeof AccountLifecycleEvent>;

/** Who is refused: an operator or API token is told what still works in the console, a visitor in the window. */
export type RefusedParty = 'operator' | 'visitor';

/**
 * Terminates an account (P5): from now on it is read-only, its widgets serve nothing, its data stays
 * exportable, and `purgeAfterAt` (now + the grace period) is when the `purge-accounts` job deletes
 * every row, file and key of it. The owner does it with `confirmName`, the account's name typed again
 * (else `validation_failed`); an admin or API token gets `forbidden`. The installation's administrator
 * (the command line) may choose `graceDays` (0–365; default ACCOUNT_GRACE_DAYS). A terminated account
 * answers `conflict` and nothing changes. Audited as `account.terminated`, and announced on
 * ACCOUNTS_CHANNEL so every node closes the account's chat windows.
 */
export async function terminateAccount(
  ctx: Context,
  input: { by: Principal | CliActor; confirmName?: string; graceDays?: number },
): Promise<Account> {
  const { by } = input;
  requireRole(by, 'owner');
  const graceDays = input.graceDays ?? ctx.config.accountGraceDays;
  if (!Number.isInteger(graceDays) || graceDays < 0 || graceDays > MAX_GRACE_DAYS) {
    throw new AppError(
      'validation_failed',
      `The grace period is a whole number of days from 0 to ${MAX_GRACE_DAYS} (got ${graceDays})`,
    );
  }
  const { accountId } = by;
  const now = ctx.clock.now();
  const account = await inTransaction(ctx.store, async (tx) => {
    // Locked first: of two terminations at once, the second sees the first and answers conflict.
    await lockAccount(tx.db, accountId);
    const row = await findAccount(tx.db, accountId);
    if (!row) throw unknownAccount(by);
    if (row.status === 'terminated') throw terminatedAlready(row);
    if (by.kind !== 'cli' && input.confirmName?.trim() !== row.name) {
      throw new AppError(
        'validation_failed',
        'To terminate the account, type its name exactly as it is shown as confirmName',
      );
    }
    const purgeAfterAt = now + graceDays * DAY_MS;
    await setAccountTerminated(tx.db, { accountId, at: now, purgeAfterAt });
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(by),
      action: 'account.terminated',
      targetKind: 'account',
      targetIds: [accountId],
      at: now,
    });
    return accountOf({ ...row, status: 'terminated', terminated_at: now, purge_after_at: purgeAfterAt });
  });
  const event: AccountLifecycleEvent = { type: 'account.terminated', accountId };
  // Awaited, unlike announce(): the command line closes its bus right after, and a termination is
  // rare enough to wait for Redis (its request timeout at most). A failure is logged, not thrown: the
  // termination stands, and the nodes read it within ACCOUNT_STATUS_MAX_AGE_MS.
  await ctx.bus.publish(ACCOUNTS_CHANNEL, event).catch((error: unknown) => {
    ctx.logger.error({ err: error, accountId }, 'Could not announce a termination; nodes read it within seconds');
  });
  return account;
}

/**
 * Throws `account_terminated` when the account is in its grace period: read-only for operators and
 * API tokens, nothing new from visitors. An unknown account passes: the caller's own lookup answers it.
 * One primary-key read: for the per-message path of the visitor socket, see realtime/account-status.ts.
 */
export async function assertAccountActive(
  ctx: Context,
  input: { accountId: string; refused?: RefusedParty },
): Promise<void> {
  const row = await findAccount(ctx.database.db, input.accountId);
  if (row?.status !== 'terminated') return;
  throw input.refused === 'visitor' ? visitorRefusal() : operatorRefusal(row);
}

/** Whether the account is in its grace period; an unknown one is not. */
export async function isAccountTerminated(ctx: Context, input: { accountId: string }): Promise<boolean> {
  return (await findAccount(ctx.database.db, input.accountId))?.status === 'terminated';
}

/** The `account_terminated` a chat window gets: what it can still do, without the account's dates. */
export function visitorRefusal(): AppError {
  return new AppError(
    'account_terminated',
    "This chat's account was terminated, so nothing new can be sent here. You can still read, end and delete your conversations until its data is deleted.",
  );
}

/** The `account_terminated` of the console and the API: what still works, and until when. */
function operatorRefusal(row: AccountRow): AppError {
  return new AppError(
    'account_terminated',
    `This account was terminated on ${isoDate(row.terminated_at)} and is read-only: sign in, read and export its data until it is deleted on ${isoDate(row.purge_after_at)}. The installation's administrator can restore it until then.`,
  );
}

function terminatedAlready(row: AccountRow): AppError {
  return new AppError(
    'conflict',
    `This account was terminated already on ${isoDate(row.terminated_at)}; its data is deleted on ${isoDate(row.purge_after_at)} unless the installation's administrator restores it (plauder account restore)`,
  );
}

/** An account that is gone: a session's answers as getAccount does, the command line's names the id. */
function unknownAccount(by: Principal | CliActor): AppError {
  return by.kind === 'cli'
    ? new AppError('not_found', `No account with id ${by.accountId}; plauder account list shows them`)
    : new AppError('unauthenticated', 'This account no longer exists');
}

/** A stored time as an ISO date and time (UTC), for messages. */
function isoDate(at: number | null): string {
  return at === null ? 'an unknown date' : new Date(at).toISOString();
}
