import type { Context } from '../../context.js';
import { findAccount } from '../../storage/accounts-repository.js';
import type { AccountRow } from '../../storage/schema.js';
import { AppError } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/** An account as its operators see it; `createdAt` is UTC epoch milliseconds. */
export interface Account {
  id: string;
  name: string;
  plan: string;
  status: 'active' | 'terminated';
  retentionMonths: number;
  /** Whether operators see a visitor's IP address (stored sealed, at most 24 hours). */
  showVisitorIp: boolean;
  /** The IANA time zone whose days and hours the account's reports count in. */
  timeZone: string;
  createdAt: number;
  /** When the account was terminated; null while it is active. */
  terminatedAt: number | null;
  /** When a terminated account's grace period ends and its purge is due; null while it is active. */
  purgeAfterAt: number | null;
}

/**
 * The account `by` acts in; any role may read it. An account removed under a live session or token
 * answers `unauthenticated`: the credential no longer leads anywhere, so the caller logs in again.
 */
export async function getAccount(ctx: Context, input: { by: Principal }): Promise<Account> {
  requireRole(input.by, 'operator');
  const row = await findAccount(ctx.database.db, input.by.accountId);
  if (!row) throw new AppError('unauthenticated', 'This account no longer exists');
  return accountOf(row);
}

/** An account row as the domain sees it. */
export function accountOf(row: AccountRow): Account {
  return {
    id: row.id,
    name: row.name,
    plan: row.plan,
    status: row.status,
    retentionMonths: row.retention_months,
    showVisitorIp: row.show_visitor_ip === 1,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    terminatedAt: row.terminated_at,
    purgeAfterAt: row.purge_after_at,
  };
}
