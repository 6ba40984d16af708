import { timeOrderedUuid, type AttachmentDto } from '@plauder/protocol';
import { seal, type DataKey } from '../crypto/seal.js';
import { assertOwned } from './account-references.js';
import { claimNextSeq, releaseSeq } from './conversations-repository.js';
import { listAttachmentsOfMessages } from './attachments-repository.js';
import { PreparedQuery } from './prepared-query.js';
import { inTransaction, openField, type Store } from './sealed-store.js';
import type { Executor, MessageRow } from './schema.js';
import { insertSearchTokens } from './search-repository.js';

/** A message with its body opened. */
export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  clientMessageId: string;
  authorKind: MessageRow['author_kind'];
  operatorId: string | null;
  kind: MessageRow['kind'];
  body: string;
  createdAt: number;
  /** The file the message carries; its body is then the file name. */
  attachment?: AttachmentDto;
}

const context = (accountId: string, rowId: string) => ({ accountId, table: 'messages', column: 'body_sealed', rowId });

/** A message body sealed with the conversation key, bound to the message's row. */
export function sealMessageBody(key: DataKey, body: string, where: { accountId: string; messageId: string }): Buffer {
  return seal(key, body, context(where.accountId, where.messageId));
}

/** A stored message body opened; throws KeyDestroyedError once its conversation's key is destroyed. */
export async function openMessageBody(
  store: Store,
  message: { accountId: string; messageId: string; bodySealed: Uint8Array },
): Promise<string> {
  return (await openField(store, message.bodySealed, context(message.accountId, message.messageId))) ?? '';
}

/** The outcome of an insert: a new message with its sealed body, or the stored one of a resend. */
export type InsertedMessage =
  { id: string; seq: number; duplicate: false; bodySealed: Buffer } | { id: string; seq: number; duplicate: true };

interface NewMessage {
  accountId: string;
  conversationId: string;
  clientMessageId: string;
  authorKind: MessageRow['author_kind'];
  operatorId?: string | null;
  kind?: MessageRow['kind'];
  body: string;
  /** The body's search tokens (messageSearchTokens), stored with the message; none when left out. */
  searchTokens?: Uint8Array;
  now: number;
}

/**
 * Appends a message to a conversation under the next sequence number, sealed with the conversation key.
 * A resend with the same `clientMessageId` returns the stored message instead (`duplicate: true`).
 * Returns `undefined` when the conversation is unknown or another account's; throws
 * ReferenceNotFoundError, writing nothing, when the operator is.
 */
export function insertMessage(store: Store, input: NewMessage): Promise<InsertedMessage | undefined> {
  return inTransaction(store, async (tx) => {
    // Checked before the first write, so a refusal leaves nothing to undo even in a caller's transaction.
    await assertOwned(tx.db, {
      table: 'operators',
      accountId: input.accountId,
      id: input.operatorId,
      what: 'operator',
    });
    const claimed = await claimNextSeq(tx.db, input);
    if (!claimed) return undefined;
    const inserted = await insertMessageAt(tx, { ...input, seq: claimed.lastSeq });
    if (inserted) return inserted;
    await releaseSeq(tx.db, input);
    const stored = await findMessageByClientId(tx.db, input);
    // The conflict above means the row exists and is visible to this transaction.
    if (!stored) throw new Error(`Message ${input.clientMessageId} conflicted but cannot be found`);
    return { ...stored, duplicate: true as const };
  });
}

const insertQuery = new PreparedQuery((db, v: MessageRow) =>
  db
    .insertInto('messages')
    .values({
      id: v.id,
      account_id: v.account_id,
      conversation_id: v.conversation_id,
      seq: v.seq,
      client_message_id: v.client_message_id,
      author_kind: v.author_kind,
      operator_id: v.operator_id,
      kind: v.kind,
      body_sealed: v.body_sealed,
      created_at: v.created_at,
      search_tokens: v.search_tokens,
    })
    // A resend: the unique (client message id, conversation) keeps the first.
    .onConflict((oc) => oc.columns(['client_message_id', 'conversation_id']).doNothing())
    .returning('id'),
);

/**
 * Inserts a message row as given (its body already sealed); false when its client id is taken in its
 * conversation. The statement of insertMessageAt, shared with the crypto bench's plain baseline.
 */
export async function insertMessageRow(db: Executor, row: MessageRow): Promise<boolean> {
  return (await insertQuery.executeTakeFirst(db, row)) !== undefined;
}

/**
 * Stores a message under a sequence number its caller claimed (claimNextSeq) in the same transaction,
 * sealed with the conversation key. `undefined` when a message with this `clientMessageId` is stored
 * already: the caller then gives the number back (releaseSeq) and answers the stored one.
 */
export async function insertMessageAt(
  store: Store,
  input: NewMessage & { seq: number },
): Promise<(InsertedMessage & { duplicate: false }) | undefined> {
  const key = await store.keyring.subjectKey(store.db, {
    accountId: input.accountId,
    kind: 'conversation',
    subjectId: input.conversationId,
  });
  const id = timeOrderedUuid(input.now);
  const bodySealed = sealMessageBody(key, input.body, { accountId: input.accountId, messageId: id });
  const inserted = await insertMessageRow(store.db, {
    id,
    account_id: input.accountId,
    conversation_id: input.conversationId,
    seq: input.seq,
    client_message_id: input.clientMessageId,
    author_kind: input.authorKind,
    operator_id: input.operatorId ?? null,
    kind: input.kind ?? 'text',
    body_sealed: bodySealed,
    created_at: input.now,
    search_tokens: input.searchTokens ? Buffer.from(input.searchTokens) : null,
  });
  if (!inserted) return undefined;
  if (input.searchTokens && input.searchTokens.length > 0) {
    await insertSearchTokens(store.db, { conversationId: input.conversationId, tokens: input.searchTokens });
  }
  return { id, seq: input.seq, duplicate: false, bodySealed };
}

/**
 * The messages of a conversation after `afterSeq`, in order, opened, each with the file it carries (so a
 * resume can replay attachments too). Empty for another account's id.
 */
export async function listMessages(
  store: Store,
  where: { accountId: string; conversationId: string; afterSeq?: number; limit?: number },
): Promise<Message[]> {
  const rows = await store.db
    .selectFrom('messages')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('seq', '>', where.afterSeq ?? 0)
    .orderBy('seq')
    .limit(where.limit ?? 500)
    .execute();
  const attachments = await listAttachmentsOfMessages(store.db, {
    accountId: where.accountId,
    conversationId: where.conversationId,
    messageIds: rows.map((row) => row.id),
  });
  const messages: Message[] = [];
  for (const row of rows) {
    const attachment = attachments.get(row.id);
    messages.push({
      id: row.id,
      conversationId: row.conversation_id,
      seq: row.seq,
      clientMessageId: row.client_message_id,
      authorKind: row.author_kind,
      operatorId: row.operator_id,
      kind: row.kind,
      body: (await openField(store, row.body_sealed, context(row.account_id, row.id))) ?? '',
      createdAt: row.created_at,
      ...(attachment
        ? { attachment: { id: attachment.id, contentType: attachment.contentType, sizeBytes: attachment.sizeBytes } }
        : {}),
    });
  }
  return messages;
}

/**
 * One message of the account's conversation, opened, with its file; `undefined` for an unknown id or
 * another account's. Throws KeyDestroyedError when the conversation was erased.
 */
export async function findMessage(
  store: Store,
  where: { accountId: string; conversationId: string; messageId: string },
): Promise<Message | undefined> {
  const found = await store.db
    .selectFrom('messages')
    .select('seq')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('id', '=', where.messageId)
    .executeTakeFirst();
  if (!found) return undefined;
  const [message] = await listMessages(store, { ...where, afterSeq: found.seq - 1, limit: 1 });
  return message?.id === where.messageId ? message : undefined;
}

type ClientIdWhere = { accountId: string; conversationId: string; clientMessageId: string };

/** The message of a conversation with this client id (at most one), before its select. */
const byClientId = (db: Executor, where: ClientIdWhere) =>
  db
    .selectFrom('messages')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('client_message_id', '=', where.clientMessageId);

/** A stored message by its client id, or `undefined`: how a resend is recognised. */
export function findMessageByClientId(
  db: Executor,
  where: ClientIdWhere,
): Promise<{ id: string; seq: number } | undefined> {
  return byClientId(db, where).select(['id', 'seq']).executeTakeFirst();
}

/** A stored message as its `message.created` event tells it: its body still sealed. */
export interface StoredMessage {
  id: string;
  seq: number;
  authorKind: MessageRow['author_kind'];
  operatorId: string | null;
  kind: MessageRow['kind'];
  createdAt: number;
  bodySealed: Uint8Array;
  attachment?: AttachmentDto;
}

/** findMessageByClientId with all that announcing the message again takes. */
export async function findStoredMessageByClientId(
  db: Executor,
  where: ClientIdWhere,
): Promise<StoredMessage | undefined> {
  const row = await byClientId(db, where)
    .select(['id', 'seq', 'author_kind', 'operator_id', 'kind', 'created_at', 'body_sealed'])
    .executeTakeFirst();
  if (!row) return undefined;
  const attachment = (
    await listAttachmentsOfMessages(db, {
      accountId: where.accountId,
      conversationId: where.conversationId,
      messageIds: [row.id],
    })
  ).get(row.id);
  return {
    id: row.id,
    seq: row.seq,
    authorKind: row.author_kind,
    operatorId: row.operator_id,
    kind: row.kind,
    createdAt: row.created_at,
    bodySealed: row.body_sealed,
    ...(attachment
      ? { attachment: { id: attachment.id, contentType: attachment.contentType, sizeBytes: attachment.sizeBytes } }
      : {}),
  };
}
