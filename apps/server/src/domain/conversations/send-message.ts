import type { AttachmentContentType } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { insertAttachment } from '../../storage/attachments-repository.js';
import { assertOwned } from '../../storage/account-references.js';
import {
  claimNextSeq,
  markFirstResponse,
  releaseSeq,
  type ConversationState,
} from '../../storage/conversations-repository.js';
import { findMessageByClientId, insertMessageAt } from '../../storage/messages-repository.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { AppError, notFound } from '../errors.js';
import { announce } from './announce.js';
import { messageText } from './message-text.js';
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
  const body = messageText(input.body, ctx.config.maxMessageChars);
  if (kind === 'note' && author.kind !== 'operator') throw new AppError('forbidden', 'Only operators write notes');
  const now = ctx.clock.now();
  // Through the group commit: on SQLite, messages sent at the same time share one commit.
  const result = await ctx.database.write(async (trx) => {
    const tx = { db: trx, keyring: ctx.keyring };
    const where = { accountId: author.accountId, conversationId, clientMessageId: input.clientMessageId };
    const operatorId = author.kind === 'operator' ? author.operatorId : null;
    // Checked before the first write, so a refusal leaves nothing to undo.
    await assertOwned(tx.db, { table: 'operators', accountId: author.accountId, id: operatorId, what: 'operator' });
    // Takes the next seq and the row lock in one statement; a send that stores nothing gives it back.
    const conversation = await claimNextSeq(tx.db, { ...where, now });
    // A visitor reaches only their own conversations; any other id answers as unknown (and the
    // rollback of this write gives the seq back).
    if (!conversation || (author.kind === 'visitor' && conversation.visitorId !== author.visitorId)) {
      throw notFound('conversation', conversationId);
    }
    const refusal = refusalOf(conversation, author, kind);
    const inserted = refusal
      ? undefined
      : await insertMessageAt(tx, {
          ...where,
          authorKind: author.kind,
          operatorId,
          kind,
          body,
          now,
          seq: conversation.lastSeq,
        });
    if (!inserted) {
      await releaseSeq(tx.db, where);
      // A resend of a message stored before (perhaps before the refusal: before the close, or while
      // its author still held the conversation) gets that message's ack; a new one gets the refusal.
      const stored = await findMessageByClientId(tx.db, where);
      if (!stored) throw refusal ?? new Error(`Message ${input.clientMessageId} conflicted but cannot be found`);
      return { inserted: { ...stored, duplicate: true as const }, conversation };
    }
    if (input.attachment) {
      await insertAttachment(tx, {
        ...input.attachment,
        accountId: author.accountId,
        conversationId,
        messageId: inserted.id,
        now,
      });
    }
    const increments: Record<string, number> = { [`messages.${author.kind}`]: 1 };
    // The row lock makes firstResponseAt current: only the first answer marks it.
    if (author.kind === 'operator' && kind === 'text' && conversation.firstResponseAt === null) {
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

/** Why a conversation takes no new message from this author now, if it does not. */
function refusalOf(
  conversation: ConversationState,
  author: MessageAuthor,
  kind: 'text' | 'note',
): AppError | undefined {
  if (conversation.status === 'closed') return new AppError('conversation_closed', 'This conversation is closed');
  // Visitors hear from the operator who has the conversation; others may add notes, not answers.
  if (author.kind === 'operator' && kind === 'text' && conversation.operatorId !== author.operatorId) {
    return new AppError(
      'conversation_not_assigned',
      'Accept this conversation, or have it transferred to you, before answering; notes need neither',
    );
  }
  return undefined;
}
