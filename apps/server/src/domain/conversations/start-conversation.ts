import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { countOpenConversationsOfVisitor, insertConversation } from '../../storage/conversations-repository.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { touchVisitor } from '../../storage/widgets-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError } from '../errors.js';
import { routeAfterChange } from '../routing/route-waiting.js';
import { announce } from './announce.js';
import { accountChannel, type AccountEvent } from './events.js';

/** How many conversations one visitor may have open at a time. */
export const MAX_OPEN_CONVERSATIONS_PER_VISITOR = 3;

/**
 * Starts a conversation for a visitor: it joins the account's queue and goes to an available operator
 * at once when there is one (routeWaiting). Counted in the rollups in the same transaction; announced
 * to the account's operators after commit. Answers where the conversation stands after routing.
 */
export async function startConversation(
  ctx: Context,
  input: { visitor: VisitorTokenClaims },
): Promise<{ conversationId: string; createdAt: number }> {
  const { accountId, widgetId, visitorId } = input.visitor;
  const now = ctx.clock.now();
  const conversationId = await inTransaction(ctx.store, async (tx) => {
    // Locks the visitor's row: two of its sockets cannot both pass the limit below.
    if (!(await touchVisitor(tx.db, { accountId, visitorId, now }))) {
      throw new AppError('unauthenticated', 'This visitor session no longer exists; start a new one');
    }
    const open = await countOpenConversationsOfVisitor(tx.db, { accountId, visitorId });
    if (open >= MAX_OPEN_CONVERSATIONS_PER_VISITOR) {
      throw new AppError(
        'too_many_conversations',
        `A visitor may have ${MAX_OPEN_CONVERSATIONS_PER_VISITOR} open conversations; end one first`,
      );
    }
    const id = await insertConversation(tx, { accountId, widgetId, visitorId, now });
    await addToRollups(tx.db, { accountId, at: now, widgetId, increments: { 'conversations.started': 1 } });
    return id;
  });
  const event: AccountEvent = {
    type: 'conversation.waiting',
    conversationId,
    widgetId,
    origin: 'chat',
    requeued: false,
    lastSeq: 0,
    createdAt: now,
  };
  await announce(ctx, accountChannel(accountId), event);
  await routeAfterChange(ctx, { accountId });
  return { conversationId, createdAt: now };
}
