import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import {
  claimInvitation,
  deleteExpiredInvitations,
  findInvitationByToken,
} from '../../storage/invitations-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { isAccountTerminated } from '../accounts/terminate-account.js';
import { startSession, type StartedSession } from '../auth/log-in.js';
import { hashPassword } from '../auth/passwords.js';
import { hashSecret } from '../auth/session-tokens.js';
import { AppError } from '../errors.js';
import { addOperator, assertEmailFree, displayNameOf } from './create-operator.js';

function invitationInvalid(): AppError {
  return new AppError(
    'invitation_invalid',
    'This invitation link is unknown, used, revoked or expired; ask an admin of the account for a new one',
  );
}

/**
 * Accepts an invitation (public: the link's token is the credential): creates the operator with the
 * invited email and role and the name and password they chose, deletes the invitation, and signs
 * them in as a login does. Attempts are throttled as logins are, per token and per client (`client`
 * is the throttle's salted hash of the IP). `invitation_invalid` for a token unknown, used, revoked
 * or expired; `conflict` when an operator logs in with the email meanwhile; `account_terminated` in
 * a terminated account, whose invitations work again if it is restored.
 */
export async function acceptInvitation(
  ctx: Context,
  input: { token: string; displayName: string; password: string; client: string },
): Promise<StartedSession> {
  const tokenHash = hashSecret(input.token);
  const attempt = { target: `invitation:${tokenHash}`, client: input.client };
  // Counted before the first await, as logins are, so parallel guesses meet the limit too.
  const retryAfterMs = ctx.loginThrottle.begin(attempt);
  if (retryAfterMs > 0) {
    throw new AppError('too_many_attempts', 'Too many failed attempts; wait and try again', {
      retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
    });
  }
  const displayName = displayNameOf(input.displayName);
  const now = ctx.clock.now();
  await deleteExpiredInvitations(ctx.database.db, now);
  // Looked up before the (deliberately slow) password hash, and claimed for good below.
  const pending = await findInvitationByToken(ctx.store, { tokenHash, now });
  if (!pending) throw invitationInvalid();
  if (await isAccountTerminated(ctx, { accountId: pending.accountId })) {
    throw new AppError(
      'account_terminated',
      "The account that invited you was terminated and takes no new operators; the invitation works again if the installation's administrator restores the account",
    );
  }
  await assertEmailFree(ctx.store, pending.email);
  const passwordHash = await hashPassword(input.password);
  const operator = await inTransaction(ctx.store, async (tx) => {
    const invitation = await claimInvitation(tx, { tokenHash, now });
    if (!invitation) throw invitationInvalid();
    const operator = await addOperator(tx, {
      accountId: invitation.accountId,
      email: invitation.email,
      displayName,
      role: invitation.role,
      passwordHash,
      now,
      createdBy: 'invitation',
    });
    await insertAuditEntry(tx.db, {
      accountId: invitation.accountId,
      actorKind: 'operator',
      actorId: operator.id,
      action: 'operator.invitation-accepted',
      targetKind: 'operator_invitation',
      targetIds: [invitation.id],
      at: now,
    });
    return operator;
  });
  ctx.loginThrottle.succeeded(attempt);
  return startSession(ctx, operator);
}
