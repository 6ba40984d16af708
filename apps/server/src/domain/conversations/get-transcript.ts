import type { TranscriptPageDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { findConversationState } from '../../storage/conversations-repository.js';
import { listMessages } from '../../storage/messages-repository.js';
import { findTranscriptPage } from '../../storage/transcript-pages.js';
import { AppError, notFound } from '../errors.js';
import { OperatorNames } from '../operators/operator-names.js';
import { requireRole, type Principal } from '../principal.js';
import { messageDto } from './message-dto.js';

/** The most messages one transcript page holds, and how many it holds when the caller does not say. */
export const TRANSCRIPT_PAGE_LIMIT = { max: 1000, default: 200 } as const;

/**
 * A page of a conversation's transcript: its newest `limit` messages before seq `before` (the newest
 * of all without it), oldest first, notes and files included, as the operator socket shows them.
 * `hasMore` says whether older ones exist: the next page is `before` = the first seq of this one.
 * Every role may read it; an unknown id, another account's or an erased one is `not_found`.
 */
export async function getTranscript(
  ctx: Context,
  input: { by: Principal; conversationId: string; before?: number; limit?: number },
): Promise<TranscriptPageDto> {
  requireRole(input.by, 'operator');
  const { accountId } = input.by;
  const { conversationId } = input;
  const limit = input.limit ?? TRANSCRIPT_PAGE_LIMIT.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > TRANSCRIPT_PAGE_LIMIT.max) {
    throw new AppError('validation_failed', `limit is a whole number from 1 to ${TRANSCRIPT_PAGE_LIMIT.max}`);
  }
  const state = await findConversationState(ctx.database.db, { accountId, conversationId });
  if (!state) throw notFound('conversation', conversationId);
  const page = await findTranscriptPage(ctx.database.db, {
    accountId,
    conversationId,
    ...(input.before === undefined ? {} : { beforeSeq: input.before }),
    limit,
  });
  if (page.count === 0) return { messages: [], hasMore: false };
  try {
    const messages = await listMessages(ctx.store, {
      accountId,
      conversationId,
      afterSeq: page.firstSeq - 1,
      limit: page.count,
    });
    const names = new OperatorNames(ctx, accountId);
    const dtos = [];
    for (const message of messages) {
      // A page never reaches past `before`, even when a message before it was deleted meanwhile.
      if (input.before === undefined || message.seq < input.before) dtos.push(await messageDto(message, names));
    }
    return { messages: dtos, hasMore: page.hasMore };
  } catch (error) {
    // Its key is destroyed: erased, its rows going in the same transaction.
    if (error instanceof KeyDestroyedError) throw notFound('conversation', conversationId);
    throw error;
  }
}
