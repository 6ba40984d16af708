import type { OperatorInvitationDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { deleteExpiredInvitations, listPendingInvitations } from '../../storage/invitations-repository.js';
import { requireRole, type Principal } from '../principal.js';
import { presentInvitation } from './invitation.js';

/** The account's pending invitations, newest first, without their tokens (admin and up). */
export async function listInvitations(ctx: Context, input: { by: Principal }): Promise<OperatorInvitationDto[]> {
  requireRole(input.by, 'admin');
  const now = ctx.clock.now();
  await deleteExpiredInvitations(ctx.database.db, now);
  const invitations = await listPendingInvitations(ctx.store, { accountId: input.by.accountId, now });
  return invitations.map(presentInvitation);
}
