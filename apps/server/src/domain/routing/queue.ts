import type { Context } from '../../context.js';
import { listWaiting } from '../../storage/routing-repository.js';
import { announce } from '../conversations/announce.js';
import { conversationChannel, type ConversationEvent } from '../conversations/events.js';

/** Queue places beyond this are not announced: the window shows "more than 100 ahead" meanwhile. */
export const ANNOUNCED_QUEUE_PLACES = 100;

/** The place of a waiting chat in its account's queue (1 is next), counted from the database. */
export function queuePlaces(waiting: { id: string }[]): Map<string, number> {
  return new Map(waiting.map((conversation, index) => [conversation.id, index + 1]));
}

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
  for (const [conversationId, position] of queuePlaces(waiting)) {
    const event: ConversationEvent = { type: 'queue.position', conversationId, position };
    announce(ctx, conversationChannel(conversationId), event);
  }
}
