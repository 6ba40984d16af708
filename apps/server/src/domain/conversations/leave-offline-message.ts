import type { Consent } from '@plauder/protocol';
import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { findOfflineMessageOfVisitor, insertConversation } from '../../storage/conversations-repository.js';
import { insertMessage } from '../../storage/messages-repository.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { touchVisitor } from '../../storage/widgets-repository.js';
import { AppError } from '../errors.js';
import { messageSearchTokens } from '../search/search-key.js';
import { queueDeliveries } from '../deliveries/queue-deliveries.js';
import { announce } from './announce.js';
import { consentToRecord } from './consent.js';
import { messageText } from './message-text.js';
import { accountChannel, type AccountEvent } from './events.js';

/**
 * Leaves a message for the account while no operator is available: a conversation of origin
 * `offline_message` with the text as its first message and the optional email sealed with it. It
 * waits in the inbox until an operator takes or closes it; routing never hands it out. A resend with
 * the same `clientMessageId` stores nothing new. Throws consent_required when the widget asks for the
 * visitor's consent and none is given; a consent given is recorded with the conversation.
 */
export async function leaveOfflineMessage(
  ctx: Context,
  input: { visitor: VisitorTokenClaims; clientMessageId: string; body: string; email?: string; consent?: Consent },
): Promise<{ conversationId: string; duplicate: boolean }> {
  const { accountId, widgetId, visitorId } = input.visitor;
  const body = messageText(input.body, ctx.config.maxMessageChars);
  const now = ctx.clock.now();
  const consent = await consentToRecord(ctx, { visitor: input.visitor, consent: input.consent, now });
  const searchTokens = await messageSearchTokens(ctx.store, { accountId, text: body });
  const result = await inTransaction(ctx.store, async (tx) => {
    // Locks the visitor's row, so two sockets resending the same message store it once.
    if (!(await touchVisitor(tx.db, { accountId, visitorId, now }))) {
      throw new AppError('unauthenticated', 'This visitor session no longer exists; start a new one');
    }
    const { clientMessageId } = input;
    const stored = await findOfflineMessageOfVisitor(tx.db, { accountId, visitorId, clientMessageId });
    if (stored) return { conversationId: stored, duplicate: true };
    const conversationId = await insertConversation(tx, {
      accountId,
      widgetId,
      visitorId,
      visitorEmail: input.email ?? null,
      origin: 'offline_message',
      consent,
      now,
    });
    const message = await insertMessage(tx, {
      accountId,
      conversationId,
      clientMessageId,
      authorKind: 'visitor',
      body,
      searchTokens,
      now,
    });
    await addToRollups(tx.db, { accountId, at: now, widgetId, increments: { 'offline_messages.received': 1 } });
    return { conversationId, duplicate: false, messageId: message?.id };
  });
  if (!result.duplicate) {
    const event: AccountEvent = {
      type: 'conversation.waiting',
      conversationId: result.conversationId,
      widgetId,
      origin: 'offline_message',
      requeued: false,
      lastSeq: 1,
      createdAt: now,
      version: 1,
    };
    announce(ctx, accountChannel(accountId), event);
    await queueDeliveries(ctx, {
      accountId,
      event: 'offline_message.received',
      conversationId: result.conversationId,
      ...(result.messageId === undefined ? {} : { messageId: result.messageId }),
    });
  }
  return { conversationId: result.conversationId, duplicate: result.duplicate };
}
