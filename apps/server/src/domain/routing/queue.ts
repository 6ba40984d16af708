import type { Context } from '../../context.js';
import { listWaiting } from '../../storage/routing-repository.js';
import { announce } from '../conversations/announce.js';
import { conversationChannel, type ConversationEvent } from '../conversations/events.js';

/** Queue places beyond this are not announced: the window shows "more than 100 ahead" meanwhile. */
export const ANNOUNCED_QUEUE_PLACES = 100;

/**
 * Tells the waiting chats of an account their place in the queue, after a conversation left it (was
 * assigned or closed). A new arrival joins at the end and moves nobody, so it announces nothing.
 */
export async function announceQueuePlaces(ctx: Context, input: { accountId: string }): Promise<void> {
  const waiting = await listWaiting(ctx.database.db, {
    accountId: input.accountId,
    origin: 'chat',
    limit: ANNOUNCED_QUEUE_PLACES,
  });
  waiting.forEach((conversation, index) => {
    const event: ConversationEvent = {
      type: 'queue.position',
      conversationId: conversation.id,
      position: index + 1,
      version: conversation.stateVersion,
    };
    announce(ctx, conversationChannel(conversation.id), event);
  });
}
