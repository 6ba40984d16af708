import type { OperatorInvitationDto } from '@plauder/protocol';
import type { OperatorInvitation } from '../../storage/invitations-repository.js';

/** How long an invitation link works: 7 days, in milliseconds. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The path of the console page that accepts an invitation; the token follows in the fragment. */
export const INVITE_PATH = '/app/invite';

/** An invitation as the API shows it: never its token. */
export function presentInvitation(invitation: OperatorInvitation): OperatorInvitationDto {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
  };
}
