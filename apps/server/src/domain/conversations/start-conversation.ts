import type { Consent, VisitorContext } from '@plauder/protocol';
import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import {
  countOpenConversationsOfVisitor,
  findConversationStartedAs,
  insertConversation,
} from '../../storage/conversations-repository.js';
import { showsVisitorIp } from '../../storage/accounts-repository.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { touchVisitor } from '../../storage/widgets-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError } from '../errors.js';
import { routeAfterChange } from '../routing/route-waiting.js';
import { announce } from './announce.js';
import { consentToRecord } from './consent.js';
import { accountChannel, type AccountEvent } from './events.js';
import { visitorContextToKeep, visitorIpToKeep } from './visitor-context.js';
import { queueDeliveries } from '../deliveries/queue-deliveries.js';

/** How many conversations one visitor may have open at a time. */
export const MAX_OPEN_CONVERSATIONS_PER_VISITOR = 3;

/**
 * Starts a conversation for a visitor: it joins the account's queue and goes to an available operator
 * at once when there is one (routeWaiting). Counted in the rollups in the same transaction; announced
 * to the account's operators after commit. A start sent again under the same `ref` (the window did
 * not hear the answer) changes nothing and answers the conversation the first one made, whose consent
 * record stays the first one's. Throws consent_required when the widget asks for the visitor's
 * consent and none is given (consentToRecord).
 *
 * The window's `context` is kept sealed, its page URL cut to origin and path (visitorContextToKeep).
 * The visitor's `clientAddress` is stored (sealed, for 24 hours) only while the account shows IPs.
 */
export async function startConversation(
  ctx: Context,
  input: {
    visitor: VisitorTokenClaims;
    ref?: string;
    consent?: Consent;
    context?: VisitorContext;
    /** The address the visitor's socket came from (after trusted proxies); never stored unless shown. */
    clientAddress?: string;
  },
): Promise<{ conversationId: string; createdAt: number; duplicate: boolean }> {
  const { accountId, widgetId, visitorId } = input.visitor;
  const now = ctx.clock.now();
  const consent = await consentToRecord(ctx, { visitor: input.visitor, consent: input.consent, now });
  const visitorContext = visitorContextToKeep(input.context) ?? null;
  const started = await inTransaction(ctx.store, async (tx) => {
    // Locks the visitor's row: two of its sockets cannot both pass the limit below, nor both start
    // under one ref.
    if (!(await touchVisitor(tx.db, { accountId, visitorId, now }))) {
      throw new AppError('unauthenticated', 'This visitor session no longer exists; start a new one');
    }
    if (input.ref !== undefined) {
      const earlier = await findConversationStartedAs(tx.db, { accountId, visitorId, startRef: input.ref });
      if (earlier) return { conversationId: earlier.id, createdAt: earlier.createdAt, duplicate: true };
    }
    const open = await countOpenConversationsOfVisitor(tx.db, { accountId, visitorId });
    if (open >= MAX_OPEN_CONVERSATIONS_PER_VISITOR) {
      throw new AppError(
        'too_many_conversations',
        `A visitor may have ${MAX_OPEN_CONVERSATIONS_PER_VISITOR} open conversations; end one first`,
      );
    }
    // Read in the transaction: a start after the setting was turned off stores no address.
    const visitorIp = (await showsVisitorIp(tx.db, accountId)) ? visitorIpToKeep(input.clientAddress) : undefined;
    const id = await insertConversation(tx, {
      accountId,
      widgetId,
      visitorId,
      now,
      consent,
      visitorContext,
      visitorIp: visitorIp ?? null,
      ...(input.ref === undefined ? {} : { startRef: input.ref }),
    });
    // Per local hour too: the reports' busiest hours.
    await addToRollups(tx.db, {
      accountId,
      at: now,
      widgetId,
      increments: { 'conversations.started': 1 },
    });
    return { conversationId: id, createdAt: now, duplicate: false };
  });
  if (started.duplicate) return started;
  const { conversationId } = started;
  const event: AccountEvent = {
    type: 'conversation.waiting',
    conversationId,
    widgetId,
    origin: 'chat',
    requeued: false,
    lastSeq: 0,
    createdAt: now,
    version: 1,
  };
  announce(ctx, accountChannel(accountId), event);
  await queueDeliveries(ctx, { accountId, event: 'conversation.started', conversationId });
  await routeAfterChange(ctx, { accountId });
  return started;
}
