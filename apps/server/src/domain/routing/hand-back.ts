import type { Context } from '../../context.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import { lockPresence, mustHandBack } from '../../storage/presence-repository.js';
import { releaseConversations } from '../../storage/routing-repository.js';
import { findConversationState } from '../../storage/conversations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { announce } from '../conversations/announce.js';
import { accountChannel, type AccountEvent } from '../conversations/events.js';
import { announceQueuePlaces } from './queue.js';
import { routeAfterChange } from './route-waiting.js';

/**
 * Puts an operator's open conversations back in the queue when they went offline, or stayed
 * disconnected since before `disconnectedBefore` (the grace period), and routes them again, to
 * someone else when anyone is available. The condition is checked again under the operator's lock:
 * an operator who reconnected meanwhile keeps their conversations.
 */
export async function handBackConversations(
  ctx: Context,
  input: { accountId: string; operatorId: string; disconnectedBefore: number },
): Promise<string[]> {
  const { accountId, operatorId } = input;
  const now = ctx.clock.now();
  const released = await inTransaction(ctx.store, async (tx) => {
    await lockAccount(tx.db, accountId);
    await lockPresence(tx.db, { accountId, operatorId, now });
    if (!(await mustHandBack(tx.db, { operatorId, disconnectedBefore: input.disconnectedBefore }))) return [];
    const ids = await releaseConversations(tx.db, { accountId, operatorId: input.operatorId, now });
    const states = [];
    for (const conversationId of ids) {
      const state = await findConversationState(tx.db, { accountId, conversationId });
      if (state) states.push(state);
    }
    return states;
  });
  for (const state of released) {
    const event: AccountEvent = {
      type: 'conversation.waiting',
      conversationId: state.id,
      widgetId: state.widgetId,
      origin: state.origin,
      requeued: true,
      lastSeq: state.lastSeq,
      createdAt: state.createdAt,
      version: state.stateVersion,
    };
    announce(ctx, accountChannel(accountId), event);
  }
  if (released.length > 0) {
    ctx.logger.info(
      { accountId, operatorId: input.operatorId, count: released.length },
      'Handed conversations back to the queue',
    );
    const assigned = await routeAfterChange(ctx, { accountId });
    // Routing announces the queue when it gave anything out; otherwise the returned chats learn their place here.
    if (assigned.length === 0) await announceQueuePlaces(ctx, { accountId });
  }
  return released.map((state) => state.id);
}
