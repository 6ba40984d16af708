import type { Executor } from './schema.js';

/** One audit entry: who did what to which ids, and how many rows — never content. */
export interface AuditEntry {
  accountId: string | null;
  actorKind: 'operator' | 'api_token' | 'system' | 'cli' | 'visitor';
  actorId: string | null;
  action: string;
  targetKind?: string | null;
  targetIds?: readonly string[];
  count?: number | null;
  at: number;
}

/** Appends an entry to the audit log. */
export async function insertAuditEntry(db: Executor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      account_id: entry.accountId,
      actor_kind: entry.actorKind,
      actor_id: entry.actorId,
      action: entry.action,
      target_kind: entry.targetKind ?? null,
      target_ids: JSON.stringify(entry.targetIds ?? []),
      count: entry.count ?? null,
      created_at: entry.at,
    })
    .execute();
}

/** The newest audit entries of one account, newest first; `before` pages by entry id. */
export async function listAuditEntries(
  db: Executor,
  where: { accountId: string; limit: number; before?: number },
): Promise<(AuditEntry & { id: number })[]> {
  let query = db.selectFrom('audit_log').selectAll().where('account_id', '=', where.accountId);
  if (where.before !== undefined) query = query.where('id', '<', where.before);
  const rows = await query.orderBy('id', 'desc').limit(where.limit).execute();
  return rows.map((row) => ({
    id: Number(row.id),
    accountId: row.account_id,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    action: row.action,
    targetKind: row.target_kind,
    // Safe: insertAuditEntry is the only writer of target_ids, and it stores JSON.stringify of a string array.
    targetIds: JSON.parse(row.target_ids) as string[],
    count: row.count,
    at: row.created_at,
  }));
}
