import type { Role, TokenScope } from '@plauder/protocol';
import { AppError } from './errors.js';

/** Who makes a request: an operator with a session, or an API token of one account. */
export type Principal =
  | { kind: 'operator'; accountId: string; operatorId: string; role: Role; sessionId: string }
  | { kind: 'api_token'; accountId: string; tokenId: string; scope: TokenScope };

const rank: Record<Role, number> = { owner: 3, admin: 2, operator: 1 };

/**
 * The role a principal acts with. API tokens act as admins of their account (read-only ones only
 * read); they never act as owners, so ownership changes need a person.
 */
export function roleOf(principal: Principal): Role {
  return principal.kind === 'operator' ? principal.role : 'admin';
}

/** Throws `forbidden` unless the principal has at least `role`. */
export function requireRole(principal: Principal, role: Role): void {
  if (rank[roleOf(principal)] < rank[role]) {
    throw new AppError('forbidden', `This needs the ${role} role or higher; you act as ${roleOf(principal)}`);
  }
}

/** True when a role is at least another. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return rank[role] >= rank[minimum];
}

/** The audit actor of a principal. */
export function actorOf(principal: Principal): { actorKind: 'operator' | 'api_token'; actorId: string } {
  return principal.kind === 'operator'
    ? { actorKind: 'operator', actorId: principal.operatorId }
    : { actorKind: 'api_token', actorId: principal.tokenId };
}
