import type { ContactDetailDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { requireRole, type Principal } from '../principal.js';
import { contactDetail } from './contact.js';

/** One contact of the account with everything kept about them; any role reads it. */
export async function getContact(ctx: Context, input: { by: Principal; contactId: string }): Promise<ContactDetailDto> {
  requireRole(input.by, 'operator');
  return contactDetail(ctx.store, { accountId: input.by.accountId, contactId: input.contactId });
}
