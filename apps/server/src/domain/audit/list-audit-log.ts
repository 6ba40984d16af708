import type { Context } from '../../context.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { requireRole, type Principal } from '../principal.js';

/** One entry of an account's audit log: who did what to which ids, and how many — never content. */
export interface AuditLogEntry {
  id: number;
  actorKind: 'operator' | 'api_token' | 'system' | 'cli' | 'visitor';
  actorId: string | null;
  action: string;
  targetKind: string | null;
  targetIds: string[];
  count: number | null;
  /** UTC epoch milliseconds. */
  at: number;
}

/**
 * The newest `limit` audit entries of the account `by` acts in, newest first (admin and up);
 * `before` is an entry id, to page back from the oldest entry of the previous page.
 */
export async function listAuditLog(
  ctx: Context,
  input: { by: Principal; limit: number; before?: number },
): Promise<AuditLogEntry[]> {
  requireRole(input.by, 'admin');
  const entries = await listAuditEntries(ctx.database.db, {
    accountId: input.by.accountId,
    limit: input.limit,
    before: input.before,
  });
  return entries.map((e) => ({
    id: e.id,
    actorKind: e.actorKind,
    actorId: e.actorId,
    action: e.action,
    targetKind: e.targetKind ?? null,
    targetIds: [...(e.targetIds ?? [])],
    count: e.count ?? null,
    at: e.at,
  }));
}
