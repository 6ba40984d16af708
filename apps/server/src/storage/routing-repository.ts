import type { ConversationRow, Executor } from './schema.js';

/** An operator routing may give a conversation to, with how many they have open. */
export interface RoutingCandidate {
  operatorId: string;
  capacity: number;
  openCount: number;
  lastAssignedAt: number | null;
}

/** The account's operators who are online, connected (a socket seen since `seenSince`) and enabled. */
function connectedOperators(db: Executor, where: { accountId: string; seenSince: number }) {
  return db
    .selectFrom('operator_presence as p')
    .innerJoin('operators as o', 'o.id', 'p.operator_id')
    .where('p.account_id', '=', where.accountId)
    .where('p.status', '=', 'online')
    .where('p.disconnected_at', 'is', null)
    .where('o.disabled_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('operator_sockets as s')
          .select('s.id')
          .whereRef('s.operator_id', '=', 'p.operator_id')
          .where('s.seen_at', '>=', where.seenSince),
      ),
    );
}

/** Whether the account has a routing candidate at all: for every visitor's welcome, so no counting. */
export async function anyRoutingCandidate(
  db: Executor,
  where: { accountId: string; seenSince: number },
): Promise<boolean> {
  const row = await connectedOperators(db, where).select('p.operator_id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * The account's operators who are online, connected (a socket seen since `seenSince`) and enabled,
 * with their open conversations counted.
 */
export async function listRoutingCandidates(
  db: Executor,
  where: { accountId: string; seenSince: number },
): Promise<RoutingCandidate[]> {
  const rows = await connectedOperators(db, where)
    .select((eb) => [
      'p.operator_id',
      'p.capacity',
      'p.last_assigned_at',
      eb
        .selectFrom('conversations as c')
        .select((c) => c.fn.countAll<number | string>().as('n'))
        .where('c.account_id', '=', where.accountId)
        .whereRef('c.operator_id', '=', 'p.operator_id')
        .where('c.status', '=', 'open')
        .as('open_count'),
    ])
    .execute();
  return rows.map((row) => ({
    operatorId: row.operator_id,
    capacity: row.capacity,
    openCount: Number(row.open_count ?? 0),
    lastAssignedAt: row.last_assigned_at,
  }));
}

/** Notes that routing gave the operator a conversation now: they go to the back of the round robin. */
export async function markAssigned(db: Executor, where: { operatorId: string; now: number }): Promise<void> {
  await db
    .updateTable('operator_presence')
    .set({ last_assigned_at: where.now })
    .where('operator_id', '=', where.operatorId)
    .execute();
}

/** A conversation as the inbox lists it: waiting in the queue, or open with an operator. */
export interface InboxConversation {
  id: string;
  widgetId: string;
  origin: 'chat' | 'offline_message';
  lastSeq: number;
  createdAt: number;
  stateVersion: number;
}

/** A conversation waiting in the queue. */
export type WaitingConversation = InboxConversation;
/** An open conversation of an operator. */
export type AssignedConversation = InboxConversation;

const inboxColumns = ['id', 'widget_id', 'origin', 'last_seq', 'created_at', 'state_version'] as const;

function inboxConversationOf(row: Pick<ConversationRow, (typeof inboxColumns)[number]>): InboxConversation {
  return {
    id: row.id,
    widgetId: row.widget_id,
    origin: row.origin,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    stateVersion: row.state_version,
  };
}

/** The account's waiting conversations, oldest first (chats, then offline messages when asked for). */
export async function listWaiting(
  db: Executor,
  where: { accountId: string; origin?: 'chat' | 'offline_message'; limit: number },
): Promise<WaitingConversation[]> {
  let query = db
    .selectFrom('conversations')
    .select(inboxColumns)
    .where('account_id', '=', where.accountId)
    .where('status', '=', 'waiting');
  if (where.origin) query = query.where('origin', '=', where.origin);
  const rows = await query.orderBy('created_at').orderBy('id').limit(where.limit).execute();
  return rows.map(inboxConversationOf);
}

/** The operator's open conversations, oldest first. */
export async function listAssigned(
  db: Executor,
  where: { accountId: string; operatorId: string },
): Promise<AssignedConversation[]> {
  const rows = await db
    .selectFrom('conversations')
    .select(inboxColumns)
    .where('account_id', '=', where.accountId)
    .where('operator_id', '=', where.operatorId)
    .where('status', '=', 'open')
    .orderBy('created_at')
    .execute();
  return rows.map(inboxConversationOf);
}

/**
 * Gives a conversation to an operator: `waiting` only takes one still waiting (a chat that nobody
 * took meanwhile); `open` moves one from its current operator. Answers the conversation's new state
 * version, or `undefined` when the condition failed.
 */
export async function assignConversationRow(
  db: Executor,
  input: { accountId: string; conversationId: string; operatorId: string; from: 'waiting' | 'open'; now: number },
): Promise<number | undefined> {
  const row = await db
    .updateTable('conversations')
    .set((eb) => ({
      status: 'open',
      operator_id: input.operatorId,
      updated_at: input.now,
      state_version: eb('state_version', '+', 1),
    }))
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.conversationId)
    .where('status', '=', input.from)
    .returning('state_version')
    .executeTakeFirst();
  return row?.state_version;
}

/** Puts an operator's open conversations back in the queue; returns their ids. */
export async function releaseConversations(
  db: Executor,
  input: { accountId: string; operatorId: string; now: number },
): Promise<string[]> {
  const rows = await db
    .updateTable('conversations')
    .set((eb) => ({
      status: 'waiting',
      operator_id: null,
      updated_at: input.now,
      state_version: eb('state_version', '+', 1),
    }))
    .where('account_id', '=', input.accountId)
    .where('operator_id', '=', input.operatorId)
    .where('status', '=', 'open')
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Operators whose conversations go back to the queue: those who chose offline, and those without a
 * socket since before `disconnectedBefore` (the grace period is over) — as long as they hold any.
 */
export async function listOperatorsToHandBack(
  db: Executor,
  where: { disconnectedBefore: number },
): Promise<{ accountId: string; operatorId: string }[]> {
  const rows = await db
    .selectFrom('operator_presence as p')
    .select(['p.account_id', 'p.operator_id'])
    .where((eb) =>
      eb.or([
        eb('p.status', '=', 'offline'),
        eb.and([eb('p.disconnected_at', 'is not', null), eb('p.disconnected_at', '<=', where.disconnectedBefore)]),
      ]),
    )
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('conversations as c')
          .select('c.id')
          .whereRef('c.operator_id', '=', 'p.operator_id')
          .where('c.status', '=', 'open'),
      ),
    )
    .execute();
  return rows.map((row) => ({ accountId: row.account_id, operatorId: row.operator_id }));
}

/** Accounts with chats waiting in the queue and an operator online and connected who might take them. */
export async function listAccountsWithWaitingChats(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('conversations as c')
    .select('c.account_id')
    .distinct()
    .where('c.status', '=', 'waiting')
    .where('c.origin', '=', 'chat')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('operator_presence as p')
          .select('p.operator_id')
          .whereRef('p.account_id', '=', 'c.account_id')
          .where('p.status', '=', 'online')
          .where('p.disconnected_at', 'is', null),
      ),
    )
    .execute();
  return rows.map((row) => row.account_id);
}
