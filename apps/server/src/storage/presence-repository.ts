import type { Presence } from '@plauder/protocol';
import type { Executor } from './schema.js';

/** How many conversations routing gives an operator at most, until they choose another capacity. */
export const DEFAULT_CAPACITY = 5;

/** An operator's chosen presence and capacity. */
export interface PresenceState {
  status: Presence;
  capacity: number;
}

/** An operator's chosen presence, or the default (online, capacity 5) for one who never chose. */
export async function getPresence(
  db: Executor,
  where: { accountId: string; operatorId: string },
): Promise<PresenceState> {
  const row = await db
    .selectFrom('operator_presence')
    .select(['status', 'capacity'])
    .where('account_id', '=', where.accountId)
    .where('operator_id', '=', where.operatorId)
    .executeTakeFirst();
  return row ?? { status: 'online', capacity: DEFAULT_CAPACITY };
}

/** Stores an operator's chosen presence and capacity (either may be left as it is). */
export async function setPresenceRow(
  db: Executor,
  input: { accountId: string; operatorId: string; status?: Presence; capacity?: number; now: number },
): Promise<PresenceState> {
  const current = await getPresence(db, input);
  const next = { status: input.status ?? current.status, capacity: input.capacity ?? current.capacity };
  await db
    .insertInto('operator_presence')
    .values({
      operator_id: input.operatorId,
      account_id: input.accountId,
      status: next.status,
      capacity: next.capacity,
      last_assigned_at: null,
      disconnected_at: null,
      updated_at: input.now,
    })
    .onConflict((oc) =>
      oc.column('operator_id').doUpdateSet({ status: next.status, capacity: next.capacity, updated_at: input.now }),
    )
    .execute();
  return next;
}

/**
 * Creates an operator's presence row when missing and locks it until the transaction ends, so the
 * socket bookkeeping of one operator on several nodes runs one at a time (PostgreSQL row lock; on
 * SQLite the write transaction holds the database lock already).
 */
export async function lockPresence(
  db: Executor,
  input: { accountId: string; operatorId: string; now: number },
): Promise<void> {
  await db
    .insertInto('operator_presence')
    .values({
      operator_id: input.operatorId,
      account_id: input.accountId,
      status: 'online',
      capacity: DEFAULT_CAPACITY,
      last_assigned_at: null,
      disconnected_at: null,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.column('operator_id').doUpdateSet((eb) => ({ status: eb.ref('operator_presence.status') })))
    .execute();
}

/**
 * Records an open operator socket on a node; the operator counts as connected from now on. Returns
 * true when they had no live socket before (their presence changes for the others). Call it in a
 * transaction.
 */
export async function registerSocket(
  db: Executor,
  input: { socketId: string; accountId: string; operatorId: string; nodeId: string; now: number },
): Promise<boolean> {
  await lockPresence(db, input);
  const before = await db
    .selectFrom('operator_presence')
    .select('disconnected_at')
    .where('operator_id', '=', input.operatorId)
    .executeTakeFirstOrThrow();
  const others = await db
    .selectFrom('operator_sockets')
    .select('id')
    .where('operator_id', '=', input.operatorId)
    .limit(1)
    .executeTakeFirst();
  await db
    .insertInto('operator_sockets')
    .values({
      id: input.socketId,
      account_id: input.accountId,
      operator_id: input.operatorId,
      node_id: input.nodeId,
      connected_at: input.now,
      seen_at: input.now,
    })
    .execute();
  await db
    .updateTable('operator_presence')
    .set({ disconnected_at: null })
    .where('operator_id', '=', input.operatorId)
    .execute();
  return !others || before.disconnected_at !== null;
}

/**
 * Removes a closed socket; when it was the operator's last, notes when they disconnected and returns
 * true. Call it in a transaction.
 */
export async function unregisterSocket(
  db: Executor,
  input: { socketId: string; accountId: string; operatorId: string; now: number },
): Promise<boolean> {
  await lockPresence(db, input);
  await db.deleteFrom('operator_sockets').where('id', '=', input.socketId).execute();
  const result = await db
    .updateTable('operator_presence')
    .set({ disconnected_at: input.now })
    .where('operator_id', '=', input.operatorId)
    .where('account_id', '=', input.accountId)
    .where('disconnected_at', 'is', null)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('operator_sockets').select('id').where('operator_id', '=', input.operatorId))),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** An open operator socket of this node, as the node's heartbeat refreshes it. */
export interface LiveSocket {
  socketId: string;
  accountId: string;
  operatorId: string;
}

/**
 * Marks the node's open operator sockets as seen now, re-creating rows another node removed (after a
 * stall of this node), and marks their operators connected again.
 */
export async function refreshNodeSockets(
  db: Executor,
  input: { nodeId: string; sockets: readonly LiveSocket[]; now: number },
): Promise<void> {
  if (input.sockets.length === 0) return;
  await db
    .insertInto('operator_sockets')
    .values(
      input.sockets.map((socket) => ({
        id: socket.socketId,
        account_id: socket.accountId,
        operator_id: socket.operatorId,
        node_id: input.nodeId,
        connected_at: input.now,
        seen_at: input.now,
      })),
    )
    .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: input.now }))
    .execute();
  await db
    .updateTable('operator_presence')
    .set({ disconnected_at: null })
    .where('disconnected_at', 'is not', null)
    .where(
      'operator_id',
      'in',
      input.sockets.map((socket) => socket.operatorId),
    )
    .execute();
}

/**
 * Removes the sockets of nodes that stopped refreshing them (a crashed node) and marks operators left
 * without any socket as disconnected now. Returns how many sockets went.
 */
export async function reapStaleSockets(db: Executor, input: { seenBefore: number; now: number }): Promise<number> {
  const gone = await db.deleteFrom('operator_sockets').where('seen_at', '<', input.seenBefore).executeTakeFirst();
  await db
    .updateTable('operator_presence')
    .set({ disconnected_at: input.now })
    .where('disconnected_at', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('operator_sockets')
            .select('operator_sockets.id')
            .whereRef('operator_sockets.operator_id', '=', 'operator_presence.operator_id'),
        ),
      ),
    )
    .execute();
  return Number(gone.numDeletedRows);
}

/** Whether an operator can take a conversation handed to them: not offline, and connected somewhere. */
export async function isReachable(
  db: Executor,
  where: { accountId: string; operatorId: string; seenSince: number },
): Promise<boolean> {
  const presence = await getPresence(db, where);
  if (presence.status === 'offline') return false;
  const socket = await db
    .selectFrom('operator_sockets')
    .select('id')
    .where('account_id', '=', where.accountId)
    .where('operator_id', '=', where.operatorId)
    .where('seen_at', '>=', where.seenSince)
    .limit(1)
    .executeTakeFirst();
  return socket !== undefined;
}

/**
 * Whether an operator's conversations must go back to the queue: they chose offline, or their last
 * socket went before `disconnectedBefore` (the grace period is over) and none came back.
 */
export async function mustHandBack(
  db: Executor,
  where: { operatorId: string; disconnectedBefore: number },
): Promise<boolean> {
  const row = await db
    .selectFrom('operator_presence')
    .select(['status', 'disconnected_at'])
    .where('operator_id', '=', where.operatorId)
    .executeTakeFirst();
  if (!row) return false;
  return row.status === 'offline' || (row.disconnected_at !== null && row.disconnected_at <= where.disconnectedBefore);
}

/**
 * The presence every enabled operator of the account shows to colleagues: their chosen status while
 * they have a socket seen since `seenSince`, else offline.
 */
export async function listEffectivePresences(
  db: Executor,
  where: { accountId: string; seenSince: number },
): Promise<{ operatorId: string; status: Presence }[]> {
  const rows = await db
    .selectFrom('operators as o')
    .leftJoin('operator_presence as p', 'p.operator_id', 'o.id')
    .select((eb) => [
      'o.id',
      'p.status',
      eb
        .exists(
          eb
            .selectFrom('operator_sockets as s')
            .select('s.id')
            .whereRef('s.operator_id', '=', 'o.id')
            .where('s.seen_at', '>=', where.seenSince),
        )
        .as('connected'),
    ])
    .where('o.account_id', '=', where.accountId)
    .where('o.disabled_at', 'is', null)
    .orderBy('o.id')
    .execute();
  return rows.map((row) => ({
    operatorId: row.id,
    // SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
    status: Boolean(row.connected) && row.status ? row.status : 'offline',
  }));
}
