import { randomBytes } from 'node:crypto';
import type { IssuedOperatorInvitationDto, Role } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import {
  deleteExpiredInvitations,
  hasPendingInvitation,
  insertInvitation,
  INVITATION_PENDING,
} from '../../storage/invitations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { hashSecret } from '../auth/session-tokens.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { assertEmailFree, loginEmail } from './create-operator.js';
import { INVITATION_TTL_MS, INVITE_PATH, presentInvitation } from './invitation.js';

/**
 * Invites a colleague to the account by email, with the role they will have: admins invite operators
 * and admins, owners also owners, API tokens operators only (as for createOperator). Answers the link
 * to hand to them, `PUBLIC_URL/app/invite#TOKEN`, this once: only the SHA-256 of its random 32-byte
 * token is stored, and it works for 7 days. `conflict` when an operator logs in with the email already
 * or the account has a pending invitation for it. Records who sent it (an operator; none for a token),
 * so that removing them deletes it. Audited by id only.
 */
export async function inviteOperator(
  ctx: Context,
  input: { by: Principal; email: string; role: Role },
): Promise<IssuedOperatorInvitationDto> {
  const { by, role } = input;
  requireRole(by, 'admin');
  if (role === 'owner') requireRole(by, 'owner');
  if (by.kind === 'api_token' && role !== 'operator') {
    // Whoever holds the link chooses the password: a token could make itself an admin who mints tokens.
    throw new AppError('forbidden', 'API tokens invite operators only; admins and owners are invited by a person');
  }
  const email = loginEmail(input.email);
  const accountId = by.accountId;
  const token = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  const invitation = await inTransaction(ctx.store, async (tx) => {
    await deleteExpiredInvitations(tx.db, now);
    await assertEmailFree(tx, email);
    const pending = () =>
      new AppError('conflict', 'This email has a pending invitation; revoke it first to send a new one');
    if (await hasPendingInvitation(tx, { accountId, email, now })) throw pending();
    const invitation = await insertInvitation(tx, {
      accountId,
      email,
      role,
      tokenHash: hashSecret(token),
      createdBy: by.kind === 'operator' ? by.operatorId : null,
      now,
      expiresAt: now + INVITATION_TTL_MS,
    });
    // One sent at the same time, in another transaction, got past the check above.
    if (invitation === INVITATION_PENDING) throw pending();
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(by),
      action: 'operator.invited',
      targetKind: 'operator_invitation',
      targetIds: [invitation.id],
      at: now,
    });
    return invitation;
  });
  return { ...presentInvitation(invitation), inviteUrl: `${ctx.config.publicUrl}${INVITE_PATH}#${token}` };
}
