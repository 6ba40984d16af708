import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { deleteExpiredInvitations, deleteInvitation } from '../../storage/invitations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';

/**
 * Revokes a pending invitation (admin and up): its row, with the sealed email, is deleted and its link
 * stops working. `not_found` for an unknown id, another account's, or one used, revoked or expired.
 */
export async function revokeInvitation(ctx: Context, input: { by: Principal; invitationId: string }): Promise<void> {
  requireRole(input.by, 'admin');
  const accountId = input.by.accountId;
  const now = ctx.clock.now();
  await inTransaction(ctx.store, async (tx) => {
    await deleteExpiredInvitations(tx.db, now);
    if (!(await deleteInvitation(tx.db, { accountId, invitationId: input.invitationId }))) {
      throw notFound('invitation', input.invitationId);
    }
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(input.by),
      action: 'operator.invitation-revoked',
      targetKind: 'operator_invitation',
      targetIds: [input.invitationId],
      at: now,
    });
  });
}
