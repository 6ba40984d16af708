import { AccountChanges } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount, lockAccount, updateAccountSettings } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { deleteVisitorIps } from '../../storage/conversations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { canonicalTimeZone } from '../../storage/local-time.js';
import { accountOf, type Account } from './get-account.js';

/** The settings an account change may name, as the API and the audit log spell them. */
const SETTINGS = ['name', 'retentionMonths', 'showVisitorIp', 'timeZone'] as const;

/**
 * Changes the caller's account: its name, its transcript retention window, whether operators see
 * visitors' IP addresses, the time zone its reports count days and hours in (admin and up; an API
 * token needs write scope and acts as admin at most).
 * Throws `validation_failed` for a bad or empty change. The audit entry `account.updated` names the
 * settings that changed — never their values; a change to what is stored already writes none.
 * Turning IP display on takes effect for conversations started afterwards; turning it off deletes
 * the addresses stored already, in the same transaction, so none outlives the setting.
 */
export async function updateAccount(ctx: Context, input: { by: Principal; changes: unknown }): Promise<Account> {
  requireRole(input.by, 'admin');
  const changes = parseChanges(input.changes);
  const { accountId } = input.by;
  const now = ctx.clock.now();
  return inTransaction(ctx.store, async (tx) => {
    // Locked first, so two changes at once each see what the other stored and audit only their own.
    await lockAccount(tx.db, accountId);
    const row = await findAccount(tx.db, accountId);
    if (!row) throw new AppError('unauthenticated', 'This account no longer exists');
    const before = accountOf(row);
    const changed = SETTINGS.filter((key) => changes[key] !== undefined && changes[key] !== before[key]);
    if (changed.length === 0) return before;
    await updateAccountSettings(tx.db, { accountId, settings: changes });
    if (changed.includes('showVisitorIp') && changes.showVisitorIp === false) {
      await deleteVisitorIps(tx.db, { accountId });
    }
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(input.by),
      action: 'account.updated',
      targetKind: 'account_setting',
      targetIds: changed.sort(),
      at: now,
    });
    return {
      ...before,
      name: changes.name ?? before.name,
      retentionMonths: changes.retentionMonths ?? before.retentionMonths,
      showVisitorIp: changes.showVisitorIp ?? before.showVisitorIp,
      timeZone: changes.timeZone ?? before.timeZone,
    };
  });
}

function parseChanges(value: unknown): AccountChanges {
  const parsed = AccountChanges.strict().safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const first = issues[0];
    throw new AppError(
      'validation_failed',
      first ? `Invalid ${first.path || 'account change'}: ${first.message}` : 'Invalid account change',
      issues,
    );
  }
  if (Object.values(parsed.data).every((v) => v === undefined)) {
    throw new AppError('validation_failed', 'Nothing to change: send name, retentionMonths, showVisitorIp or timeZone');
  }
  if (parsed.data.timeZone === undefined) return parsed.data;
  const timeZone = canonicalTimeZone(parsed.data.timeZone);
  if (timeZone === undefined) {
    throw new AppError(
      'validation_failed',
      `Invalid timeZone: ${JSON.stringify(parsed.data.timeZone)} is no IANA time zone; send one such as "Europe/Berlin"`,
      [{ path: 'timeZone', message: 'Unknown time zone' }],
    );
  }
  return { ...parsed.data, timeZone };
}
