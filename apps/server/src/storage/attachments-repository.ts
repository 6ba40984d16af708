import { randomUUID } from 'node:crypto';
import { AttachmentContentType } from '@plauder/protocol';
import { seal, type DataKey, type SealContext } from '../crypto/seal.js';
import type { Insertable } from 'kysely';
import { assertOwned } from './account-references.js';
import { inTransaction, openField, type Store } from './sealed-store.js';
import type { AttachmentsTable, Executor, MessageRow } from './schema.js';

/** An attachment's record with its file name opened; the content lives in the file store. */
export interface Attachment {
  id: string;
  conversationId: string;
  messageId: string | null;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  storageKey: string;
  createdAt: number;
}

const context = (accountId: string, rowId: string) => ({
  accountId,
  table: 'attachments',
  column: 'file_name_sealed',
  rowId,
});

/** What an attachment's content is bound to when sealed: its account and row, as if it were a column. */
export function attachmentContentContext(accountId: string, attachmentId: string): SealContext {
  return { accountId, table: 'attachments', column: 'content', rowId: attachmentId };
}

/**
 * Where an attachment's sealed content lives in the file store. Under the account and the conversation,
 * so erasing either can remove its files by prefix (conversationFilesPrefix).
 */
export function attachmentStorageKey(where: {
  accountId: string;
  conversationId: string;
  attachmentId: string;
}): string {
  return `${conversationFilesPrefix(where)}attachments/${where.attachmentId}`;
}

/** The file store prefix of every file of one conversation, ending in "/". */
export function conversationFilesPrefix(where: { accountId: string; conversationId: string }): string {
  return `accounts/${where.accountId}/conversations/${where.conversationId}/`;
}

/** An attachment row ready to insert: its file name sealed (sealAttachmentRow). */
export type AttachmentRowInput = Insertable<AttachmentsTable>;

/**
 * Records an attachment of a conversation; its file name is sealed with the conversation key. Throws
 * KeyDestroyedError for a conversation that is unknown or another account's, and ReferenceNotFoundError
 * for a message that is not one of that conversation's; either way nothing is written.
 */
export function insertAttachment(store: Store, input: NewAttachment): Promise<string> {
  return inTransaction(store, async (tx) => {
    const key = await tx.keyring.subjectKey(tx.db, {
      accountId: input.accountId,
      kind: 'conversation',
      subjectId: input.conversationId,
    });
    await assertOwned(tx.db, {
      table: 'messages',
      accountId: input.accountId,
      conversationId: input.conversationId,
      id: input.messageId,
      what: 'message',
    });
    const row = sealAttachmentRow(key, input);
    await insertAttachmentRow(tx.db, row);
    return row.id;
  });
}

interface NewAttachment {
  /** Given when the content was sealed and stored under this id first; else a new one. */
  id?: string;
  accountId: string;
  conversationId: string;
  messageId?: string | null;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  storageKey: string;
  now: number;
}

/** The row of a new attachment, its file name sealed with `key`, the conversation key. */
export function sealAttachmentRow(key: DataKey, input: NewAttachment): AttachmentRowInput & { id: string } {
  const id = input.id ?? randomUUID();
  return {
    id,
    account_id: input.accountId,
    conversation_id: input.conversationId,
    message_id: input.messageId ?? null,
    file_name_sealed: seal(key, input.fileName, context(input.accountId, id)),
    content_type: input.contentType,
    size_bytes: input.sizeBytes,
    storage_key: input.storageKey,
    created_at: input.now,
  };
}

/** Inserts an attachment row as given (its file name already sealed). */
export async function insertAttachmentRow(db: Executor, row: AttachmentRowInput): Promise<void> {
  await db.insertInto('attachments').values(row).execute();
}

/** One attachment of the account, opened; `undefined` when unknown or another account's. */
export async function getAttachment(
  store: Store,
  where: { accountId: string; attachmentId: string },
): Promise<Attachment | undefined> {
  const row = await store.db
    .selectFrom('attachments')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.attachmentId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    fileName: (await openField(store, row.file_name_sealed, context(row.account_id, row.id))) ?? '',
    contentType: row.content_type,
    sizeBytes: row.size_bytes,
    storageKey: row.storage_key,
    createdAt: row.created_at,
  };
}

/** An attachment's record without its sealed name: enough to decide who may read it, and to list it. */
export interface AttachmentMeta {
  id: string;
  conversationId: string;
  messageId: string | null;
  contentType: AttachmentContentType;
  sizeBytes: number;
  storageKey: string;
}

function toMeta(row: {
  id: string;
  conversation_id: string;
  message_id: string | null;
  content_type: string;
  size_bytes: number;
  storage_key: string;
}): AttachmentMeta {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    // Only sniffed types are ever written; a parse failure means the row was changed outside Plauder.
    contentType: AttachmentContentType.parse(row.content_type),
    sizeBytes: row.size_bytes,
    storageKey: row.storage_key,
  };
}

/**
 * An attachment of the account with its conversation's visitor and its message's kind, opening nothing,
 * so access can be decided before any key is touched; `undefined` when unknown or another account's.
 */
export async function findAttachmentMeta(
  db: Executor,
  where: { accountId: string; attachmentId: string },
): Promise<(AttachmentMeta & { visitorId: string | null; messageKind: MessageRow['kind'] | null }) | undefined> {
  const row = await db
    .selectFrom('attachments')
    .innerJoin('conversations', 'conversations.id', 'attachments.conversation_id')
    .leftJoin('messages', 'messages.id', 'attachments.message_id')
    .select([
      'attachments.id',
      'attachments.conversation_id',
      'attachments.message_id',
      'attachments.content_type',
      'attachments.size_bytes',
      'attachments.storage_key',
      'conversations.visitor_id',
      'messages.kind as message_kind',
    ])
    .where('attachments.account_id', '=', where.accountId)
    .where('conversations.account_id', '=', where.accountId)
    .where('attachments.id', '=', where.attachmentId)
    .executeTakeFirst();
  return row ? { ...toMeta(row), visitorId: row.visitor_id, messageKind: row.message_kind } : undefined;
}

/**
 * The attachments of some messages of one conversation, by message id; another account's conversation
 * finds nothing. Narrowed by the conversation, whose index finds the rows.
 */
export async function listAttachmentsOfMessages(
  db: Executor,
  where: { accountId: string; conversationId: string; messageIds: readonly string[] },
): Promise<Map<string, AttachmentMeta>> {
  const found = new Map<string, AttachmentMeta>();
  if (where.messageIds.length === 0) return found;
  const rows = await db
    .selectFrom('attachments')
    .select(['id', 'conversation_id', 'message_id', 'content_type', 'size_bytes', 'storage_key'])
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('message_id', 'in', [...where.messageIds])
    .execute();
  for (const row of rows) {
    if (row.message_id !== null) found.set(row.message_id, toMeta(row));
  }
  return found;
}

/**
 * Deletes the attachment rows of a conversation, before its messages (which they reference); answers
 * how many went. Their files stay in the file store until the caller removes them after the commit.
 */
export async function deleteAttachmentsOfConversation(
  db: Executor,
  where: { accountId: string; conversationId: string },
): Promise<number> {
  const result = await db
    .deleteFrom('attachments')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
