import { randomUUID } from 'node:crypto';
import { sql, type SqlBool } from 'kysely';
import type { ErasureRecordsTable, Executor } from './schema.js';
import { removeWordsOfDeletedMessage, SearchTokenBatch } from './search-repository.js';

/**
 * The statements of a batch erasure (domain/erasure): each works on a whole set of conversations,
 * contacts or visitors at once (`in (…)`), so a batch costs a dozen statements, not some per row;
 * and the deletion of one message (deleteMessageRow). Every one is limited to the account: an id of
 * another account matches nothing.
 */

/** How many ids one statement binds at most; SQLite allows 32,766 parameters per statement. */
const MAX_IDS_PER_STATEMENT = 1000;

/**
 * `account_id = ?` that no index serves, for statements that find their rows by an `id in (…)` list.
 * Without statistics SQLite's planner prefers an index on account_id to the primary key (it guesses
 * ten rows per account) and would walk every row of the account for each batch; the expression leaves
 * it the id index, on PostgreSQL as well. The condition still holds each row to the account.
 */
function inAccount(accountId: string) {
  return sql<SqlBool>`account_id || '' = ${accountId}`;
}

/**
 * Locks the conversations of a batch until the transaction ends and answers those that exist in the
 * account (and, with `contactId`, are linked to that contact): a row lock on PostgreSQL (an update
 * that changes nothing, as lockConversation takes it); SQLite's write transaction holds the database.
 */
export async function lockConversationsForErasure(
  db: Executor,
  where: { accountId: string; conversationIds: readonly string[]; contactId?: string },
): Promise<string[]> {
  const locked: string[] = [];
  for (const ids of chunks(where.conversationIds)) {
    let query = db
      .updateTable('conversations')
      .set((eb) => ({ status: eb.ref('status') }))
      .where(inAccount(where.accountId))
      .where('id', 'in', ids);
    if (where.contactId !== undefined) query = query.where('contact_id', '=', where.contactId);
    for (const row of await query.returning('id').execute()) locked.push(row.id);
  }
  return locked;
}

/** The conversations linked to a contact of the account, newest first, with their last seq (a bound of their messages). */
export function listConversationsOfContactToErase(
  db: Executor,
  where: { accountId: string; contactId: string },
): Promise<{ id: string; lastSeq: number }[]> {
  return db
    .selectFrom('conversations')
    .select(['id', 'last_seq as lastSeq'])
    .where(inAccount(where.accountId))
    .where('contact_id', '=', where.contactId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/**
 * Those of the conversations of the account (and, with `contactId`, linked to that contact) that are
 * still waiting or open: an erasure ends them first.
 */
export async function listUnclosedConversations(
  db: Executor,
  where: { accountId: string; conversationIds: readonly string[]; contactId?: string },
): Promise<string[]> {
  const unclosed: string[] = [];
  for (const ids of chunks(where.conversationIds)) {
    let query = db
      .selectFrom('conversations')
      .select('id')
      .where(inAccount(where.accountId))
      .where('id', 'in', ids)
      .where('status', '!=', 'closed');
    if (where.contactId !== undefined) query = query.where('contact_id', '=', where.contactId);
    for (const row of await query.execute()) unclosed.push(row.id);
  }
  return unclosed;
}

/** What deleting the content of a batch of conversations removed. */
export interface DeletedConversationContent {
  messages: number;
  attachments: number;
}

/** What deleting a batch of conversations' rows removed. */
export interface DeletedConversationRows extends DeletedConversationContent {
  /** The contacts and visitors the deleted conversations referenced, each once. */
  contactIds: string[];
  visitorIds: string[];
}

/**
 * The account's conversations among `ids` (and, with `contactId`, the contact's), through the primary
 * key: a condition on a child table's own account_id could make SQLite walk an index over every row
 * of the account instead of the one keyed by conversation.
 */
function conversationsOfAccount(db: Executor, accountId: string, ids: readonly string[], contactId?: string) {
  let query = db.selectFrom('conversations').select('id').where(inAccount(accountId)).where('id', 'in', ids);
  if (contactId !== undefined) query = query.where('contact_id', '=', contactId);
  return query;
}

/**
 * Deletes the search index words of conversations of the account (and, with `contactId`, the
 * contact's), a run of the table each (its key leads with the conversation). A batch erasure that
 * commits several times takes its conversations' words in its first transactions, before it erases
 * any of them, and restoreConversationWords gives back those of the conversations it leaves.
 */
export async function deleteConversationWords(
  db: Executor,
  where: { accountId: string; conversationIds: readonly string[]; contactId?: string },
): Promise<void> {
  for (const ids of chunks(where.conversationIds)) {
    await db
      .deleteFrom('conversation_tokens')
      .where('conversation_id', 'in', conversationsOfAccount(db, where.accountId, ids, where.contactId))
      .execute();
  }
}

/**
 * Gives the conversations of the account back the search index words of their messages (each
 * message keeps its own, `messages.search_tokens`), after deleteConversationWords took them for an
 * erasure that then left these conversations; words they have already stay as they are.
 */
export async function restoreConversationWords(
  db: Executor,
  where: { accountId: string; conversationIds: readonly string[] },
): Promise<void> {
  for (const ids of chunks(where.conversationIds)) {
    const rows = await db
      .selectFrom('messages')
      .select(['conversation_id', 'search_tokens'])
      .where('conversation_id', 'in', conversationsOfAccount(db, where.accountId, ids))
      .where('search_tokens', 'is not', null)
      .execute();
    const words = new SearchTokenBatch();
    for (const row of rows) {
      if (row.search_tokens !== null) words.add({ conversationId: row.conversation_id, tokens: row.search_tokens });
    }
    await words.write(db);
  }
}

/**
 * Deletes the attachments, search index words (unless `wordsDeleted`: deleteConversationWords did) and
 * messages of conversations of the account: all of their rows but their own (deleteConversationRows).
 * The files of the attachments stay in the file store until the caller removes them after the commit.
 */
export async function deleteConversationContent(
  db: Executor,
  where: { accountId: string; conversationIds: readonly string[]; wordsDeleted?: boolean },
): Promise<DeletedConversationContent> {
  const { accountId } = where;
  let messages = 0;
  let attachments = 0;
  for (const ids of chunks(where.conversationIds)) {
    const attachmentRows = await db
      .deleteFrom('attachments')
      .where('account_id', '=', accountId)
      .where('conversation_id', 'in', ids)
      .executeTakeFirst();
    attachments += Number(attachmentRows.numDeletedRows);
    const ofAccount = conversationsOfAccount(db, accountId, ids);
    if (where.wordsDeleted !== true) {
      await db.deleteFrom('conversation_tokens').where('conversation_id', 'in', ofAccount).execute();
    }
    const messageRows = await db.deleteFrom('messages').where('conversation_id', 'in', ofAccount).executeTakeFirst();
    messages += Number(messageRows.numDeletedRows);
  }
  return { messages, attachments };
}

/**
 * Deletes the attachments, search index words, messages and rows of conversations of the account,
 * children first, so no cascade does work nobody counted; `contentDeleted` when the caller deleted
 * their content already (deleteConversationContent), in the same transaction. The files of the
 * attachments stay in the file store until the caller removes them after the commit.
 */
export async function deleteConversationRows(
  db: Executor,
  where: { accountId: string; conversationIds: readonly string[]; contentDeleted?: DeletedConversationContent },
): Promise<DeletedConversationRows> {
  const { accountId } = where;
  const content = where.contentDeleted ?? (await deleteConversationContent(db, where));
  const contactIds = new Set<string>();
  const visitorIds = new Set<string>();
  for (const ids of chunks(where.conversationIds)) {
    const rows = await db
      .deleteFrom('conversations')
      .where(inAccount(accountId))
      .where('id', 'in', ids)
      .returning(['contact_id', 'visitor_id'])
      .execute();
    for (const row of rows) {
      if (row.contact_id !== null) contactIds.add(row.contact_id);
      if (row.visitor_id !== null) visitorIds.add(row.visitor_id);
    }
  }
  return { ...content, contactIds: [...contactIds], visitorIds: [...visitorIds] };
}

/** Deletes those of the account's contacts that no conversation references any more; answers their ids. */
export async function deleteContactsLeftWithNothing(
  db: Executor,
  where: { accountId: string; contactIds: readonly string[] },
): Promise<string[]> {
  const deleted: string[] = [];
  for (const ids of chunks(where.contactIds)) {
    const rows = await db
      .deleteFrom('contacts')
      .where(inAccount(where.accountId))
      .where('id', 'in', ids)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('conversations').select('id').whereRef('conversations.contact_id', '=', 'contacts.id'),
          ),
        ),
      )
      .returning('id')
      .execute();
    for (const row of rows) deleted.push(row.id);
  }
  return deleted;
}

/**
 * Deletes those of the account's visitors that have no conversation any more, except `keepVisitorId`
 * (the visitor who asked for the erasure: their window is still open); answers how many went.
 */
export async function deleteVisitorsLeftWithNothing(
  db: Executor,
  where: { accountId: string; visitorIds: readonly string[]; keepVisitorId?: string },
): Promise<number> {
  const ids = where.visitorIds.filter((id) => id !== where.keepVisitorId);
  let deleted = 0;
  for (const chunk of chunks(ids)) {
    const result = await db
      .deleteFrom('visitors')
      .where(inAccount(where.accountId))
      .where('id', 'in', chunk)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('conversations').select('id').whereRef('conversations.visitor_id', '=', 'visitors.id'),
          ),
        ),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return deleted;
}

/**
 * Destroys the keys of many subjects of one kind in the account: the wrapped key is overwritten with
 * NULL and a tombstone stays (as keyring.destroySubjectKey does for one). Answers the key ids, for
 * the keyring's cache to forget after the commit.
 */
export async function destroySubjectKeys(
  db: Executor,
  where: { accountId: string; kind: 'conversation' | 'contact'; subjectIds: readonly string[]; now: number },
): Promise<string[]> {
  const keyIds: string[] = [];
  for (const ids of chunks(where.subjectIds)) {
    const rows = await db
      .updateTable('keyring')
      .set({ wrapped_key: null, destroyed_at: where.now })
      .where(inAccount(where.accountId))
      .where('kind', '=', where.kind)
      .where('subject_id', 'in', ids)
      .where('destroyed_at', 'is', null)
      .returning('id')
      .execute();
    for (const row of rows) keyIds.push(row.id);
  }
  return keyIds;
}

/** Writes one erasure record per subject: ids, when and why, never content. */
export async function insertErasureRecords(
  db: Executor,
  input: {
    accountId: string;
    subjectKind: ErasureRecordsTable['subject_kind'];
    subjectIds: readonly string[];
    reason: string;
    at: number;
  },
): Promise<void> {
  // Six values a row: 1,000 ids bind 6,000 parameters, far below SQLite's limit.
  for (const ids of chunks(input.subjectIds)) {
    await db
      .insertInto('erasure_records')
      .values(
        ids.map((subjectId) => ({
          id: randomUUID(),
          account_id: input.accountId,
          subject_kind: input.subjectKind,
          subject_id: subjectId,
          erased_at: input.at,
          reason: input.reason,
        })),
      )
      .execute();
  }
}

/**
 * Deletes one message of a conversation with its attachment rows, and those of its words that no
 * other message of the conversation holds from the search index; answers the file store keys of
 * those attachments, for the caller to remove after the commit; `undefined`, deleting nothing, when
 * the message is not one of this conversation in this account.
 */
export async function deleteMessageRow(
  db: Executor,
  where: { accountId: string; conversationId: string; messageId: string },
): Promise<{ seq: number; storageKeys: string[] } | undefined> {
  // Attachments reference the message: deleted first, narrowed by the conversation as well, so a
  // message id of another conversation matches none.
  const attachments = await db
    .deleteFrom('attachments')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('message_id', '=', where.messageId)
    .returning('storage_key')
    .execute();
  const message = await db
    .deleteFrom('messages')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('id', '=', where.messageId)
    .returning(['seq', 'search_tokens'])
    .executeTakeFirst();
  if (!message) return undefined;
  if (message.search_tokens !== null) {
    await removeWordsOfDeletedMessage(db, {
      accountId: where.accountId,
      conversationId: where.conversationId,
      tokens: message.search_tokens,
    });
  }
  return { seq: message.seq, storageKeys: attachments.map((a) => a.storage_key) };
}

/** `ids` in slices a statement can bind. */
function* chunks(ids: readonly string[]): Generator<string[]> {
  for (let start = 0; start < ids.length; start += MAX_IDS_PER_STATEMENT) {
    yield ids.slice(start, start + MAX_IDS_PER_STATEMENT);
  }
}
