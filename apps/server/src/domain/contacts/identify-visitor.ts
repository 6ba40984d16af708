import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { insertContact, updateContact, type ContactFields } from '../../storage/contacts-repository.js';
import {
  findContactAndConsent,
  lockConversation,
  setConversationContact,
} from '../../storage/conversations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { assertAccountActive } from '../accounts/terminate-account.js';
import { consentRequired } from '../conversations/consent.js';
import { notFound } from '../errors.js';
import { getWidgetSettings } from '../widgets/widget-config.js';

/**
 * Records who the visitor of a conversation says they are (the widget's `Plauder.identify`): a new
 * contact linked to the conversation, or, when it has one, that contact's given fields replaced. Every
 * field is sealed with the contact's own key. Only the conversation's own visitor may; an unknown id
 * and another visitor's answer `not_found` alike. Throws consent_required when the widget asks for
 * consent and the conversation has none recorded, and `account_terminated` in a terminated account
 * (P5: no new personal data once it is terminated).
 */
export async function identifyVisitor(
  ctx: Context,
  input: { visitor: VisitorTokenClaims; conversationId: string; name?: string; email?: string },
): Promise<{ contactId: string; created: boolean }> {
  const { accountId, widgetId, visitorId } = input.visitor;
  const { conversationId } = input;
  // One read more on a rare frame (once per conversation, at most a few times).
  await assertAccountActive(ctx, { accountId, refused: 'visitor' });
  // Read before the transaction: a visitor's conversations are all on the widget of its token.
  const settings = await getWidgetSettings(ctx, { accountId, widgetId });
  const fields: ContactFields = {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.email === undefined ? {} : { email: input.email }),
  };
  const now = ctx.clock.now();
  return inTransaction(ctx.store, async (tx) => {
    // Locks the conversation: two identifies of it at once cannot both make a contact.
    const conversation = await lockConversation(tx.db, { accountId, conversationId });
    if (!conversation || conversation.visitorId !== visitorId) throw notFound('conversation', conversationId);
    const linked = await findContactAndConsent(tx.db, { accountId, conversationId });
    if (!linked) throw notFound('conversation', conversationId);
    if (settings.privacy.optIn && linked.consent === null) throw consentRequired();
    // A contact whose key is gone (erased meanwhile) cannot take new fields: a new contact does.
    if (linked.contactId && (await updateContact(tx, { accountId, contactId: linked.contactId, fields, now }))) {
      return { contactId: linked.contactId, created: false };
    }
    const contactId = await insertContact(tx, { accountId, ...fields, now });
    await setConversationContact(tx.db, { accountId, conversationId, contactId, now });
    return { contactId, created: true };
  });
}
