import type { Executor } from './schema.js';

/** A stored session, found by the hash of its token. */
export interface SessionRecord {
  id: string;
  accountId: string;
  operatorId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** Stores a session under the hash of its token. */
export async function insertSession(db: Executor, session: SessionRecord): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      account_id: session.accountId,
      operator_id: session.operatorId,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** A session by token hash, expired or not: the caller decides and says which. */
export async function findSession(db: Executor, id: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return row
    ? {
        id: row.id,
        accountId: row.account_id,
        operatorId: row.operator_id,
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        expiresAt: row.expires_at,
      }
    : undefined;
}

/** Slides a session's expiry forward on use. */
export async function touchSession(db: Executor, input: { id: string; now: number; expiresAt: number }): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: input.now, expires_at: input.expiresAt })
    .where('id', '=', input.id)
    .execute();
}

/** Deletes one session (logout) or all of an operator's sessions. */
export async function deleteSessions(db: Executor, where: { id?: string; operatorId?: string }): Promise<number> {
  let query = db.deleteFrom('sessions');
  if (where.id) query = query.where('id', '=', where.id);
  if (where.operatorId) query = query.where('operator_id', '=', where.operatorId);
  if (!where.id && !where.operatorId) throw new Error('deleteSessions needs an id or an operatorId');
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes every session that expired before `now`. */
export async function deleteExpiredSessions(db: Executor, now: number): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
