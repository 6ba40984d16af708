import type { ContactPageDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { listContacts } from '../../storage/contacts-repository.js';
import { requireRole, type Principal } from '../principal.js';
import { presentContactSummary } from './contact.js';

/** The most contacts a find answers: an email names one contact, rarely a few. */
export const FIND_CONTACTS_LIMIT = 50;

/**
 * The account's contacts with this email (case and surrounding spaces do not matter), newest
 * first, at most FIND_CONTACTS_LIMIT and no next page; any role finds them. Found through the blind
 * index: the stored emails stay sealed.
 */
export async function findContacts(ctx: Context, input: { by: Principal; email: string }): Promise<ContactPageDto> {
  requireRole(input.by, 'operator');
  const contacts = await listContacts(ctx.store, {
    accountId: input.by.accountId,
    limit: FIND_CONTACTS_LIMIT,
    email: input.email,
  });
  return { contacts: contacts.map(presentContactSummary), nextCursor: null };
}
