import type { AttachmentContentType } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { insertAttachment } from '../../storage/attachments-repository.js';
import { lockConversation, markFirstResponse } from '../../storage/conversations-repository.js';
import { findMessageByClientId, insertMessage } from '../../storage/messages-repository.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { AppError, notFound } from '../errors.js';
import { announce } from './announce.js';
import { conversationChannel, type ConversationEvent } from './events.js';

/** Who writes: the conversation's visitor, or an operator of its account. */
export type MessageAuthor =
  | { kind: 'visitor'; accountId: string; visitorId: string }
  | { kind: 'operator'; accountId: string; operatorId: string };

/**
 * Appends a message to a conversation and tells everyone in it. The answer comes only after the
 * commit; a resend with the same `clientMessageId` stores nothing and answers the same id and seq.
 * Internal notes are for operators only. The rollups count the message (and an operator's first
 * answer with its delay) in the same transaction.
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
  const body = input.body.trim();
  if (!body) throw new AppError('validation_failed', 'A message needs some text');
  if ([...body].length > ctx.config.maxMessageChars) {
    throw new AppError('message_too_long', `A message may have ${ctx.config.maxMessageChars} characters at most`);
  }
  if (kind === 'note' && author.kind !== 'operator') throw new AppError('forbidden', 'Only operators write notes');
  const now = ctx.clock.now();
  // Through the group commit: on SQLite, messages sent at the same time share one commit.
  const result = await ctx.database.write(async (trx) => {
    const tx = { db: trx, keyring: ctx.keyring };
    const conversation = await lockConversation(tx.db, { accountId: author.accountId, conversationId });
    // A visitor reaches only their own conversations; any other id answers as unknown.
    if (!conversation || (author.kind === 'visitor' && conversation.visitorId !== author.visitorId)) {
      throw notFound('conversation', conversationId);
    }
    // A refused send may be the resend of a message stored before the refusal (before the close, or
    // while its author still held the conversation): that one still gets its ack.
    const resendOr = async (refusal: AppError) => {
      const stored = await findMessageByClientId(tx.db, {
        accountId: author.accountId,
        conversationId,
        clientMessageId: input.clientMessageId,
      });
      if (!stored) throw refusal;
      return { inserted: { ...stored, duplicate: true as const }, conversation };
    };
    if (conversation.status === 'closed') {
      return resendOr(new AppError('conversation_closed', 'This conversation is closed'));
    }
    // Visitors hear from the operator who has the conversation; others may add notes, not answers.
    if (author.kind === 'operator' && kind === 'text' && conversation.operatorId !== author.operatorId) {
      return resendOr(
        new AppError(
          'conversation_not_assigned',
          'Accept this conversation, or have it transferred to you, before answering; notes need neither',
        ),
      );
    }
    const inserted = await insertMessage(tx, {
      accountId: author.accountId,
      conversationId,
      clientMessageId: input.clientMessageId,
      authorKind: author.kind,
      operatorId: author.kind === 'operator' ? author.operatorId : null,
      kind,
      body,
      now,
    });
    if (!inserted) throw notFound('conversation', conversationId);
    if (inserted.duplicate) return { inserted, conversation };
    if (input.attachment) {
      await insertAttachment(tx, {
        ...input.attachment,
        accountId: author.accountId,
        conversationId,
        messageId: inserted.id,
        now,
      });
    }
    const operatorId = author.kind === 'operator' ? author.operatorId : null;
    const increments: Record<string, number> = { [`messages.${author.kind}`]: 1 };
    if (author.kind === 'operator' && kind === 'text') {
      if (await markFirstResponse(tx.db, { accountId: author.accountId, conversationId, at: now })) {
        increments['first_response.count'] = 1;
        increments['first_response.total_ms'] = now - conversation.createdAt;
      }
    }
    await addToRollups(tx.db, {
      accountId: author.accountId,
      at: now,
      widgetId: conversation.widgetId,
      operatorId,
      increments,
    });
    return { inserted, conversation };
  });
  const { inserted } = result;
  if (!inserted.duplicate) {
    const event: ConversationEvent = {
      type: 'message.created',
      accountId: author.accountId,
      conversationId,
      messageId: inserted.id,
      seq: inserted.seq,
      authorKind: author.kind,
      operatorId: author.kind === 'operator' ? author.operatorId : null,
      kind,
      createdAt: now,
      bodySealed: inserted.bodySealed.toString('base64'),
      ...(input.attachment
        ? {
            attachment: {
              id: input.attachment.id,
              contentType: input.attachment.contentType,
              sizeBytes: input.attachment.sizeBytes,
            },
          }
        : {}),
    };
    await announce(ctx, conversationChannel(conversationId), event);
  }
  return { messageId: inserted.id, seq: inserted.seq, duplicate: inserted.duplicate };
}
