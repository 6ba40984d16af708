import type { SelectQueryBuilder } from 'kysely';
import type { ConversationRow, Executor, Schema } from './schema.js';

/**
 * Which conversations of an account a bulk delete matches: every criterion given must hold.
 * `createdFrom` inclusive, `createdTo` exclusive; `createdBefore` is when the delete was asked for, so
 * a conversation started since is never touched.
 */
export interface ConversationMatch {
  accountId: string;
  createdBefore: number;
  createdFrom?: number;
  createdTo?: number;
  widgetId?: string;
  operatorId?: string;
  status?: ConversationRow['status'];
  rating?: number;
  contactId?: string;
}

/** A matching conversation as a batch takes it: its creation time (the walk's order) and a bound of its messages. */
export interface MatchedConversation {
  id: string;
  status: ConversationRow['status'];
  createdAt: number;
  /** Its last seq: no fewer than its messages. */
  lastSeq: number;
}

/**
 * Where a bulk delete is in its walk of one status: the creation time of the last conversation it
 * took. Every conversation it took is gone, so the walk goes on from that time itself: a conversation
 * created in the same millisecond and not yet taken is still found.
 */
export interface MatchPosition {
  createdAt: number;
}

type ConversationQuery = SelectQueryBuilder<Schema, 'conversations', object>;

function matching(db: Executor, match: ConversationMatch): ConversationQuery {
  let query: ConversationQuery = db
    .selectFrom('conversations')
    .where('account_id', '=', match.accountId)
    .where('created_at', '<', Math.min(match.createdBefore, match.createdTo ?? Number.MAX_SAFE_INTEGER));
  if (match.createdFrom !== undefined) query = query.where('created_at', '>=', match.createdFrom);
  if (match.status !== undefined) query = query.where('status', '=', match.status);
  if (match.widgetId !== undefined) query = query.where('widget_id', '=', match.widgetId);
  if (match.operatorId !== undefined) query = query.where('operator_id', '=', match.operatorId);
  if (match.rating !== undefined) query = query.where('rating', '=', match.rating);
  if (match.contactId !== undefined) query = query.where('contact_id', '=', match.contactId);
  return query;
}

/** How many conversations match. */
export async function countMatchingConversations(db: Executor, match: ConversationMatch): Promise<number> {
  const row = await matching(db, match)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many messages (notes and files included) the matching conversations hold. */
export async function countMatchingMessages(db: Executor, match: ConversationMatch): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    // No condition on the messages' own account_id: SQLite would walk every message of the account by
    // it; the matching conversations are the account's, and (conversation_id, seq) finds their messages.
    .where('conversation_id', 'in', matching(db, match).select('id'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The next matching conversations of one status from `after` on, oldest first. The
 * (account_id, status, created_at) index walks them in that order, without a sort, so a bulk delete
 * that keeps its position reads the rows it passed (those matching nothing else of the filter) about
 * once, not again at every batch (it keeps the position of a batch's first conversation, so it reads
 * those within the batch's span twice).
 */
export async function findMatchingConversations(
  db: Executor,
  input: {
    match: ConversationMatch;
    status: ConversationRow['status'];
    after: MatchPosition | undefined;
    limit: number;
  },
): Promise<MatchedConversation[]> {
  let query = matching(db, { ...input.match, status: input.status });
  if (input.after !== undefined) query = query.where('created_at', '>=', input.after.createdAt);
  return query
    .select(['id', 'status', 'created_at as createdAt', 'last_seq as lastSeq'])
    .orderBy('created_at')
    .limit(input.limit)
    .execute();
}

/** Whether the account has a row with this id in `table`; another account's does not count. */
export async function accountHas(
  db: Executor,
  input: { table: 'widgets' | 'operators' | 'contacts'; accountId: string; id: string },
): Promise<boolean> {
  const row = await db
    .selectFrom(input.table)
    .select('id')
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.id)
    .executeTakeFirst();
  return row !== undefined;
}
