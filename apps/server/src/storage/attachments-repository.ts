import { randomUUID } from 'node:crypto';
import { assertOwned } from './account-references.js';
import { inTransaction, openField, sealField, type Store } from './sealed-store.js';

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

/**
 * Records an attachment of a conversation; its file name is sealed with the conversation key. Throws
 * KeyDestroyedError for a conversation that is unknown or another account's, and ReferenceNotFoundError
 * for a message that is not one of that conversation's; either way nothing is written.
 */
export function insertAttachment(
  store: Store,
  input: {
    accountId: string;
    conversationId: string;
    messageId?: string | null;
    fileName: string;
    contentType: string;
    sizeBytes: number;
    storageKey: string;
    now: number;
  },
): Promise<string> {
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
    const id = randomUUID();
    await tx.db
      .insertInto('attachments')
      .values({
        id,
        account_id: input.accountId,
        conversation_id: input.conversationId,
        message_id: input.messageId ?? null,
        // The column is NOT NULL and the name always given, so sealField never returns null here.
        file_name_sealed: sealField(key, input.fileName, context(input.accountId, id)) as Buffer,
        content_type: input.contentType,
        size_bytes: input.sizeBytes,
        storage_key: input.storageKey,
        created_at: input.now,
      })
      .execute();
    return id;
  });
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
