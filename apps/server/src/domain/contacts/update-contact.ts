import type { ContactChanges, ContactDetailDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { updateContact as updateRecord } from '../../storage/contacts-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { contactDetail } from './contact.js';

/**
 * Changes the given fields of one of the account's contacts; null clears a field, and the email's
 * blind index follows the email. Any operator of the account may (API tokens with the write scope).
 * Each field is sealed anew with the contact's key. Throws `validation_failed` when nothing is given
 * and `not_found`, changing nothing, for an unknown id or another account's. Audited by id only.
 */
export async function updateContact(
  ctx: Context,
  input: { by: Principal; contactId: string; changes: ContactChanges },
): Promise<ContactDetailDto> {
  requireRole(input.by, 'operator');
  const fields = Object.fromEntries(Object.entries(input.changes).filter(([, value]) => value !== undefined));
  if (Object.keys(fields).length === 0) {
    throw new AppError('validation_failed', 'Nothing to change: send name, email, phone or notes');
  }
  const where = { accountId: input.by.accountId, contactId: input.contactId };
  const now = ctx.clock.now();
  return inTransaction(ctx.store, async (tx) => {
    if (!(await updateRecord(tx, { ...where, fields, now }))) throw notFound('contact', input.contactId);
    await insertAuditEntry(tx.db, {
      accountId: where.accountId,
      ...actorOf(input.by),
      action: 'contact.updated',
      targetKind: 'contact',
      targetIds: [input.contactId],
      at: now,
    });
    return contactDetail(tx, where);
  });
}
