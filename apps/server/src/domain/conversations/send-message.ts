import { timeOrderedUuid, type AttachmentContentType } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import type { DataKey } from '../../crypto/seal.js';
import { ReferenceNotFoundError } from '../../storage/account-references.js';
import { asBuffer } from '../../storage/append-message.js';
import { sealAttachmentRow } from '../../storage/attachments-repository.js';
import { sealMessageBody, type StoredMessage } from '../../storage/messages-repository.js';
import { AppError, notFound } from '../errors.js';
import { messageSearchTokens } from '../search/search-key.js';
import { announce } from './announce.js';
import { messageText } from './message-text.js';
import { conversationChannel, type ConversationEvent } from './events.js';
import { queueDeliveries } from '../deliveries/queue-deliveries.js';

/** Who writes: the conversation's visitor, or an operator of its account. */
export type MessageAuthor =
  | { kind: 'visitor'; accountId: string; visitorId: string }
  | { kind: 'operator'; accountId: string; operatorId: string };

/**
 * Appends a message to a conversation and tells everyone in it. The answer comes only after the
 * commit; a resend with the same `clientMessageId` stores nothing and answers the same id and seq.
 * Internal notes are for operators only. The rollups count the message (and an operator's first
 * answer with its delay) in the same transaction. Whether the account is terminated is the callers' to
 * check, before they call: the writes guard and the operator socket read it per write, the visitor
 * socket checks its node's cached statuses (realtime/account-status.ts), sendAttachment reads it. A
 * read here would cost every message one more query.
 */
export async function sendMessage(
  ctx: Context,
  input: {
    author: MessageAuthor;
    conversationId: string;
    clientMessageId: string;
    body: string;
    kind?: 'text' | 'note';
    /** A file already sealed and put in the file store: recorded with the message, in its transaction. */
    attachment?: {
      id: string;
      contentType: AttachmentContentType;
      sizeBytes: number;
      storageKey: string;
      fileName: string;
    };
  },
): Promise<{ messageId: string; seq: number; duplicate: boolean }> {
  const { author, conversationId } = input;
  const kind = input.kind ?? 'text';
  const body = messageText(input.body, ctx.config.maxMessageChars);
  if (kind === 'note' && author.kind !== 'operator') throw new AppError('forbidden', 'Only operators write notes');
  const now = ctx.clock.now();
  // Sealed before the write, so the write needs nothing but the database (and may run on the SQLite
  // writer thread, which never sees a key). The key is handed out for this account's conversations only.
  const key = await conversationKey(ctx, author.accountId, conversationId);
  const messageId = timeOrderedUuid(now);
  const bodySealed = sealMessageBody(key, body, { accountId: author.accountId, messageId });
  // Its words for search, hashed here while the text is plain (for a file: its name, the body).
  const searchTokens = await messageSearchTokens(ctx.store, { accountId: author.accountId, text: body });
  const outcome = await ctx.database.appendMessage({
    accountId: author.accountId,
    conversationId,
    clientMessageId: input.clientMessageId,
    author,
    kind,
    messageId,
    bodySealed,
    searchTokens,
    now,
    ...(input.attachment
      ? {
          attachment: sealAttachmentRow(key, {
            ...input.attachment,
            accountId: author.accountId,
            conversationId,
            messageId,
            now,
          }),
        }
      : {}),
  });
  switch (outcome.status) {
    case 'duplicate':
      // Announced again: the first send may have committed and then lost its announcement (a process
      // or writer thread that ended in between), and the others in the conversation would not see it
      // live. Clients drop a seq they have shown; the sending socket gets its ack, not the echo.
      announce(
        ctx,
        conversationChannel(conversationId),
        messageCreated(author.accountId, conversationId, outcome.stored),
      );
      return { messageId: outcome.messageId, seq: outcome.seq, duplicate: true };
    case 'unknown_conversation':
      throw notFound('conversation', conversationId);
    case 'unknown_operator':
      throw new ReferenceNotFoundError('operator', author.kind === 'operator' ? author.operatorId : '');
    case 'closed':
      throw new AppError('conversation_closed', 'This conversation is closed');
    case 'not_assigned':
      throw new AppError(
        'conversation_not_assigned',
        'Accept this conversation, or have it transferred to you, before answering; notes need neither',
      );
    case 'stored':
      break;
  }
  const event = messageCreated(author.accountId, conversationId, {
    id: messageId,
    seq: outcome.seq,
    authorKind: author.kind,
    operatorId: author.kind === 'operator' ? author.operatorId : null,
    kind,
    createdAt: now,
    bodySealed,
    ...(input.attachment
      ? {
          attachment: {
            id: input.attachment.id,
            contentType: input.attachment.contentType,
            sizeBytes: input.attachment.sizeBytes,
          },
        }
      : {}),
  });
  ctx.sentBodies.remember({ conversationId, messageId }, body);
  announce(ctx, conversationChannel(conversationId), event);
  if (kind === 'text') {
    await queueDeliveries(ctx, { accountId: author.accountId, event: 'message.created', conversationId, messageId });
  }
  return { messageId, seq: outcome.seq, duplicate: false };
}

/** The conversation's key; an unknown conversation, or another account's, answers as unknown. */
async function conversationKey(ctx: Context, accountId: string, conversationId: string): Promise<DataKey> {
  try {
    return await ctx.keyring.subjectKey(ctx.database.db, {
      accountId,
      kind: 'conversation',
      subjectId: conversationId,
    });
  } catch (error) {
    if (error instanceof KeyDestroyedError) throw notFound('conversation', conversationId);
    throw error;
  }
}

/** The event that announces a stored message on its conversation's channel, its body sealed as stored. */
function messageCreated(accountId: string, conversationId: string, message: StoredMessage): ConversationEvent {
  return {
    type: 'message.created',
    accountId,
    conversationId,
    messageId: message.id,
    seq: message.seq,
    authorKind: message.authorKind,
    operatorId: message.operatorId,
    kind: message.kind,
    createdAt: message.createdAt,
    bodySealed: asBuffer(message.bodySealed).toString('base64'),
    ...(message.attachment ? { attachment: message.attachment } : {}),
  };
}
