import type { Context } from '../../context.js';
import { closeConversationRow, lockConversation } from '../../storage/conversations-repository.js';
import { bucketOf, DURATION_HISTOGRAM } from '../../storage/rollup-histograms.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { notFound } from '../errors.js';
import { announceQueuePlaces } from '../routing/queue.js';
import { routeAfterChange } from '../routing/route-waiting.js';
import { announce } from './announce.js';
import { accountChannel, conversationChannel, type AccountEvent, type ConversationEvent } from './events.js';
import { queueDeliveries } from '../deliveries/queue-deliveries.js';

/** Who closes: the conversation's visitor, an operator of its account, or the system. */
export type Closer =
  | { kind: 'visitor'; accountId: string; visitorId: string }
  | { kind: 'operator'; accountId: string; operatorId: string }
  | { kind: 'system'; accountId: string };

/**
 * Closes a conversation. Closing a closed one changes nothing and succeeds (a resent `end` is
 * harmless). The rollups count it with its duration, and as missed when no operator ever answered,
 * unless `counted: false`: the end an erasure gives a conversation it is about to erase, which must
 * leave the reports as they were (P6). Either way the visitor and the operators see it end.
 */
export async function closeConversation(
  ctx: Context,
  input: { by: Closer; conversationId: string; counted?: boolean },
): Promise<{ closedAt: number; alreadyClosed: boolean }> {
  const { by, conversationId } = input;
  const counted = input.counted ?? true;
  const now = ctx.clock.now();
  const result = await inTransaction(ctx.store, async (tx) => {
    const conversation = await lockConversation(tx.db, { accountId: by.accountId, conversationId });
    if (!conversation || (by.kind === 'visitor' && conversation.visitorId !== by.visitorId)) {
      throw notFound('conversation', conversationId);
    }
    const version = await closeConversationRow(tx.db, { accountId: by.accountId, conversationId, at: now });
    if (version === undefined) {
      const version = conversation.stateVersion;
      return { closedAt: now, alreadyClosed: true, missed: false, was: conversation.status, version };
    }
    // Missed: a chat no operator ever answered. An offline message is answered outside the chat.
    const missed = conversation.origin === 'chat' && conversation.firstResponseAt === null;
    if (counted) {
      await addToRollups(tx.db, {
        accountId: by.accountId,
        at: now,
        widgetId: conversation.widgetId,
        operatorId: conversation.operatorId,
        increments: {
          'conversations.closed': 1,
          'duration.total_ms': now - conversation.createdAt,
          [DURATION_HISTOGRAM.metric(bucketOf(DURATION_HISTOGRAM, now - conversation.createdAt))]: 1,
          ...(missed ? { 'conversations.missed': 1 } : {}),
        },
      });
    }
    return { closedAt: now, alreadyClosed: false, missed, was: conversation.status, version };
  });
  if (!result.alreadyClosed) {
    const closed: ConversationEvent = {
      type: 'conversation.closed',
      conversationId,
      closedBy: by.kind,
      version: result.version,
    };
    announce(ctx, conversationChannel(conversationId), closed);
    const inbox: AccountEvent = {
      type: 'conversation.closed',
      conversationId,
      closedBy: by.kind,
      missed: result.missed,
      version: result.version,
    };
    announce(ctx, accountChannel(by.accountId), inbox);
    // The end an erasure gives is not told: the conversation is gone a moment later.
    if (counted) await queueDeliveries(ctx, { accountId: by.accountId, event: 'conversation.closed', conversationId });
    // A chat that left the queue moves those behind it up; one an operator had frees their capacity.
    if (result.was === 'waiting') await announceQueuePlaces(ctx, { accountId: by.accountId });
    if (result.was === 'open') await routeAfterChange(ctx, { accountId: by.accountId });
  }
  return { closedAt: result.closedAt, alreadyClosed: result.alreadyClosed };
}
