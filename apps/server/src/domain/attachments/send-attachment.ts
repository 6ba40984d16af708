import { randomUUID } from 'node:crypto';
import type { AttachmentDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { seal } from '../../crypto/seal.js';
import {
  attachmentContentContext,
  attachmentStorageKey,
  listAttachmentsOfMessages,
} from '../../storage/attachments-repository.js';
import { findConversationState } from '../../storage/conversations-repository.js';
import { findMessageByClientId } from '../../storage/messages-repository.js';
import { assertAccountActive } from '../accounts/terminate-account.js';
import { sendMessage, type MessageAuthor } from '../conversations/send-message.js';
import { AppError, notFound } from '../errors.js';
import { cleanFileName } from './file-name.js';
import { sniffContentType } from './sniff-content-type.js';

/** A file sent in a conversation: the message that carries it and the file; `duplicate` for a resend. */
export interface SentAttachment {
  messageId: string;
  seq: number;
  attachment: AttachmentDto;
  duplicate: boolean;
}

/**
 * Sends a file as a message of a conversation. The type comes from the bytes (PNG, JPEG, GIF, WebP,
 * PDF, plain text) and the size is limited by MAX_ATTACHMENT_BYTES. The bytes are sealed with the
 * conversation key and put in the file store before the message and its attachment record commit
 * together; the message body is the file name. A resend with the same `clientMessageId` stores
 * nothing and answers the stored message and file. A terminated account takes no file
 * (`account_terminated`), from either side.
 */
export async function sendAttachment(
  ctx: Context,
  input: { author: MessageAuthor; conversationId: string; clientMessageId: string; fileName: string; data: Buffer },
): Promise<SentAttachment> {
  const { author, conversationId, clientMessageId, data } = input;
  const { accountId } = author;
  // One read per file is nothing beside sealing and storing it; it covers the visitor's route, which
  // no writes guard stands before.
  await assertAccountActive(ctx, { accountId, refused: author.kind });
  if (data.length > ctx.config.maxAttachmentBytes) {
    throw new AppError('payload_too_large', `A file may have ${ctx.config.maxAttachmentBytes} bytes at most`);
  }
  const contentType = sniffContentType(data);
  // The name becomes the message body, so it also keeps to the installation's message limit.
  const fileName = cleanFileName(input.fileName, { maxChars: ctx.config.maxMessageChars });

  // sendMessage checks all of this again under the conversation's lock; checking here first spares the
  // file store a write that would only be undone, and never writes under another visitor's conversation.
  const conversation = await findConversationState(ctx.database.db, { accountId, conversationId });
  if (!conversation || (author.kind === 'visitor' && conversation.visitorId !== author.visitorId)) {
    throw notFound('conversation', conversationId);
  }
  const stored = await findStoredSend(ctx, { accountId, conversationId, clientMessageId });
  if (stored) return stored;
  if (conversation.status === 'closed') throw new AppError('conversation_closed', 'This conversation is closed');

  const attachmentId = randomUUID();
  const storageKey = attachmentStorageKey({ accountId, conversationId: conversation.id, attachmentId });
  const key = await ctx.keyring.subjectKey(ctx.database.db, {
    accountId,
    kind: 'conversation',
    subjectId: conversation.id,
  });
  // The file is durable before the message that names it commits, so no message ever points at a
  // missing file. A crash between the two leaves a sealed file that nothing references.
  await ctx.fileStore.put(storageKey, seal(key, data, attachmentContentContext(accountId, attachmentId)));
  const attachment: AttachmentDto = { id: attachmentId, contentType, sizeBytes: data.length };
  let sent: Awaited<ReturnType<typeof sendMessage>>;
  try {
    sent = await sendMessage(ctx, {
      author,
      conversationId,
      clientMessageId,
      body: fileName,
      attachment: { ...attachment, storageKey, fileName },
    });
  } catch (error) {
    await discardFile(ctx, storageKey);
    throw error;
  }
  if (!sent.duplicate) return { messageId: sent.messageId, seq: sent.seq, attachment, duplicate: false };
  // A resend committed first, between the check above and the lock: its file is the one that counts.
  await discardFile(ctx, storageKey);
  const first = await findStoredSend(ctx, { accountId, conversationId, clientMessageId });
  if (!first) throw withoutFile(clientMessageId);
  return first;
}

/**
 * The stored answer to a send with this client id: its message and file, or `undefined` when no
 * message has the id yet. A message without a file under the id is a client error (ids are per message).
 */
async function findStoredSend(
  ctx: Context,
  where: { accountId: string; conversationId: string; clientMessageId: string },
): Promise<SentAttachment | undefined> {
  const message = await findMessageByClientId(ctx.database.db, where);
  if (!message) return undefined;
  const files = await listAttachmentsOfMessages(ctx.database.db, { ...where, messageIds: [message.id] });
  const file = files.get(message.id);
  if (!file) throw withoutFile(where.clientMessageId);
  return {
    messageId: message.id,
    seq: message.seq,
    attachment: { id: file.id, contentType: file.contentType, sizeBytes: file.sizeBytes },
    duplicate: true,
  };
}

function withoutFile(clientMessageId: string): AppError {
  return new AppError(
    'conflict',
    `The client message id ${clientMessageId} belongs to a message without a file; use a new UUID for every message`,
  );
}

/** Deletes a file whose message was not stored. A failure is logged, not thrown: the file is sealed and unreferenced. */
async function discardFile(ctx: Context, storageKey: string): Promise<void> {
  try {
    await ctx.fileStore.delete(storageKey);
  } catch (error) {
    ctx.logger.error({ err: error, storageKey }, 'Could not delete the file of an attachment that was not stored');
  }
}
