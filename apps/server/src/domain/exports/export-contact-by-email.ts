import type { Context } from '../../context.js';
import { listContacts } from '../../storage/contacts-repository.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type CliActor, type Principal } from '../principal.js';
import { accountNameOf } from './export-plan.js';
import { startSubjectExport, type ExportProgress, type SubjectExport } from './subject-export.js';

/** The most contacts with one email an export takes: an email names one contact, rarely a few. */
export const MAX_CONTACTS_PER_EMAIL = 50;

/**
 * Exports everything the account keeps about the person with this email, as exportContact does:
 * every contact of the account with the email (case and surrounding spaces do not matter), found
 * through the blind index, in one archive. `not_found` when no contact has it; the message does not
 * repeat the email, which stays out of logs.
 */
export async function exportContactByEmail(
  ctx: Context,
  input: { by: Principal | CliActor; email: string; onProgress?: ExportProgress },
): Promise<SubjectExport> {
  const { by } = input;
  requireRole(by, 'admin');
  await accountNameOf(ctx, by.accountId);
  const found = await listContacts(ctx.store, {
    accountId: by.accountId,
    email: input.email,
    limit: MAX_CONTACTS_PER_EMAIL,
  });
  if (found.length === 0) throw new AppError('not_found', 'No contact with this email in this account');
  // Oldest first, as the visitor's export lists them.
  const contacts = found
    .map(({ conversationCount: _count, ...contact }) => contact)
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  return startSubjectExport(ctx, {
    accountId: by.accountId,
    subject: { kind: 'contacts', contacts },
    actor: actorOf(by),
    label: contacts.length === 1 && contacts[0] ? contacts[0].id : 'contacts',
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
}
