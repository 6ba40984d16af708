import { VISITOR_IP_TTL_MS } from './conversations-repository.js';
import type { Executor } from './schema.js';

/** An account's retention window, for the sweep. */
export interface AccountRetention {
  accountId: string;
  retentionMonths: number;
}

/** Every account with its retention window (1–36 months), in id order, from `fromAccountId` on. */
export async function listAccountRetention(
  db: Executor,
  where: { fromAccountId?: string } = {},
): Promise<AccountRetention[]> {
  let query = db.selectFrom('accounts').select(['id', 'retention_months']).orderBy('id');
  if (where.fromAccountId !== undefined) query = query.where('id', '>=', where.fromAccountId);
  const rows = await query.execute();
  return rows.map((row) => ({ accountId: row.id, retentionMonths: row.retention_months }));
}

/** A conversation past the retention window, with a bound of its messages (its last seq). */
export interface ExpiredConversation {
  id: string;
  lastSeq: number;
}

/**
 * Conversations of the account whose age passed `cutoff`: closed ones by `closed_at`, the others
 * (left waiting or open) by `updated_at`, oldest first; each query walks one of the
 * (account_id, status, closed_at|updated_at, id) indexes. Strictly before the cutoff: one closed at
 * the cutoff itself is still inside the window.
 */
export async function findExpiredConversations(
  db: Executor,
  where: { accountId: string; cutoff: number; limit: number },
): Promise<ExpiredConversation[]> {
  const closed = await db
    .selectFrom('conversations')
    .select(['id', 'last_seq as lastSeq'])
    .where('account_id', '=', where.accountId)
    .where('status', '=', 'closed')
    .where('closed_at', '<', where.cutoff)
    .orderBy('closed_at')
    .orderBy('id')
    .limit(where.limit)
    .execute();
  if (closed.length >= where.limit) return closed;
  const unclosed = await db
    .selectFrom('conversations')
    .select(['id', 'last_seq as lastSeq'])
    .where('account_id', '=', where.accountId)
    .where('status', 'in', ['waiting', 'open'])
    .where('updated_at', '<', where.cutoff)
    .orderBy('updated_at')
    .orderBy('id')
    .limit(where.limit - closed.length)
    .execute();
  return [...closed, ...unclosed];
}

/** How many conversations of the account are past `cutoff` (as findExpiredConversations judges age). */
export async function countExpiredConversations(
  db: Executor,
  where: { accountId: string; cutoff: number },
): Promise<number> {
  const row = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', where.accountId)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'closed'), eb('closed_at', '<', where.cutoff)]),
        eb.and([eb('status', 'in', ['waiting', 'open']), eb('updated_at', '<', where.cutoff)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Deletes up to `limit` visitors of the account that were last seen before `cutoff` and have no
 * conversation (they opened the chat and never wrote, or their conversations were erased); answers how
 * many went. Those of erased conversations go with them already (erasure); this finds the rest.
 */
export async function deleteIdleVisitors(
  db: Executor,
  where: { accountId: string; cutoff: number; limit: number },
): Promise<number> {
  const idle = await db
    .selectFrom('visitors')
    .select('id')
    .where('account_id', '=', where.accountId)
    .where('last_seen_at', '<', where.cutoff)
    .where((eb) =>
      eb.not(
        eb.exists(eb.selectFrom('conversations').select('id').whereRef('conversations.visitor_id', '=', 'visitors.id')),
      ),
    )
    .limit(where.limit)
    .execute();
  if (idle.length === 0) return 0;
  const result = await db
    .deleteFrom('visitors')
    .where(
      'id',
      'in',
      idle.map((v) => v.id),
    )
    .where((eb) =>
      eb.not(
        eb.exists(eb.selectFrom('conversations').select('id').whereRef('conversations.visitor_id', '=', 'visitors.id')),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes the stored visitor IP (sealed address and expiry together) of at most `limit` conversations,
 * of any account, whose IP expired at or before `now`; answers how many. Bounded, so a large backlog
 * never holds the write lock long: call it again until it answers less than `limit`.
 */
export async function deleteExpiredVisitorIps(db: Executor, where: { now: number; limit: number }): Promise<number> {
  const result = await db
    .updateTable('conversations')
    .set({ visitor_ip_sealed: null, visitor_ip_expires_at: null })
    .where('id', 'in', (eb) =>
      eb.selectFrom('conversations').select('id').where('visitor_ip_expires_at', '<=', where.now).limit(where.limit),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The visitor IPs an account stores, for the privacy report: how many, since when, how many too old. */
export interface StoredVisitorIps {
  count: number;
  /** When the oldest was collected (epoch ms); undefined when none is stored. */
  oldestCollectedAt: number | undefined;
  /** How many were collected before `collectedBefore`. */
  olderCount: number;
}

/**
 * The account's stored visitor IPs: every conversation with a sealed address or an expiry. An address
 * is collected when its conversation starts and expires VISITOR_IP_TTL_MS later, so its age is read
 * from both, the older one counting: a row whose expiry was pushed out still shows its start.
 */
export async function selectStoredVisitorIps(
  db: Executor,
  where: { accountId: string; collectedBefore: number },
): Promise<StoredVisitorIps> {
  const stored = db
    .selectFrom('conversations')
    .where('account_id', '=', where.accountId)
    .where((eb) => eb.or([eb('visitor_ip_sealed', 'is not', null), eb('visitor_ip_expires_at', 'is not', null)]));
  const row = await stored
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.min('created_at').as('oldestCreatedAt'),
      eb.fn.min('visitor_ip_expires_at').as('oldestExpiresAt'),
    ])
    .executeTakeFirstOrThrow();
  const older = await stored
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where((eb) =>
      eb.or([
        eb('created_at', '<', where.collectedBefore),
        eb('visitor_ip_expires_at', '<', where.collectedBefore + VISITOR_IP_TTL_MS),
      ]),
    )
    .executeTakeFirstOrThrow();
  const collected = [
    row.oldestCreatedAt,
    row.oldestExpiresAt === null ? null : row.oldestExpiresAt - VISITOR_IP_TTL_MS,
  ].filter((at): at is number => at !== null);
  return {
    count: Number(row.n),
    oldestCollectedAt: collected.length === 0 ? undefined : Math.min(...collected),
    olderCount: Number(older.n),
  };
}
