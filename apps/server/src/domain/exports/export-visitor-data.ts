import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { startSubjectExport, type SubjectExport } from './subject-export.js';

/**
 * The chat window's "download my data": the archive of the token's visitor's own conversations (not
 * erased) with their files, and the contacts those conversations are linked to. Never another
 * visitor's. The operators' internal notes (note messages and their files, a contact's notes) are
 * left out: the window never showed them, and a visitor token proves a browser session, not who
 * someone is; the account's own export (exportContact) holds them. Audited as `contact.exported`
 * with the visitor as actor.
 */
export async function exportVisitorData(ctx: Context, input: { visitor: VisitorTokenClaims }): Promise<SubjectExport> {
  const { accountId, visitorId } = input.visitor;
  return startSubjectExport(ctx, {
    accountId,
    subject: { kind: 'visitor', visitorId },
    actor: { actorKind: 'visitor', actorId: visitorId },
    label: 'visitor',
  });
}
