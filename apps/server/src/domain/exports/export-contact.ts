import type { Context } from '../../context.js';
import { getContact } from '../../storage/contacts-repository.js';
import { notFound } from '../errors.js';
import { actorOf, requireRole, type CliActor, type Principal } from '../principal.js';
import { accountNameOf } from './export-plan.js';
import { startSubjectExport, type ExportProgress, type SubjectExport } from './subject-export.js';

/**
 * Exports everything the account keeps about one of its contacts (GDPR Art. 15; admin and up, the
 * command line as owner): their fields, every conversation of theirs that is not erased with its
 * messages (internal notes included) and its files decrypted. `not_found` for an unknown id and
 * another account's alike. Audited as `contact.exported`.
 */
export async function exportContact(
  ctx: Context,
  input: { by: Principal | CliActor; contactId: string; onProgress?: ExportProgress },
): Promise<SubjectExport> {
  const { by, contactId } = input;
  requireRole(by, 'admin');
  // Only the command line can name an account that does not exist: it hears so, not "no contact".
  await accountNameOf(ctx, by.accountId);
  const contact = await getContact(ctx.store, { accountId: by.accountId, contactId });
  if (!contact) throw notFound('contact', contactId);
  return startSubjectExport(ctx, {
    accountId: by.accountId,
    subject: { kind: 'contacts', contacts: [contact] },
    actor: actorOf(by),
    label: contact.id,
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
}
