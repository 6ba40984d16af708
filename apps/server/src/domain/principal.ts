import type { Role, TokenScope } from '@plauder/protocol';
import { AppError } from './errors.js';

/**
 * Who makes a request: an operator with a session, or an API token of one account. A token acts with
 * its creator's current role, capped at admin: it never acts as an owner, and a demoted creator's
 * token is demoted with them.
 */
export type Principal =
  | { kind: 'operator'; accountId: string; operatorId: string; role: Role; sessionId: string }
  | { kind: 'api_token'; accountId: string; tokenId: string; scope: TokenScope; role: Exclude<Role, 'owner'> };

/** The installation administrator at the command line: acts in any account, with every role. */
export interface CliActor {
  kind: 'cli';
  accountId: string;
}

const rank: Record<Role, number> = { owner: 3, admin: 2, operator: 1 };

/** The role a principal acts with; the command line acts as owner. */
export function roleOf(principal: Principal | CliActor): Role {
  return principal.kind === 'cli' ? 'owner' : principal.role;
}

/** Throws `forbidden` unless the principal has at least `role`. */
export function requireRole(principal: Principal | CliActor, role: Role): void {
  if (rank[roleOf(principal)] < rank[role]) {
    throw new AppError('forbidden', `This needs the ${role} role or higher; you act as ${roleOf(principal)}`);
  }
}

/** The audit actor of a principal. */
export function actorOf(principal: Principal | CliActor): {
  actorKind: 'operator' | 'api_token' | 'cli';
  actorId: string | null;
} {
  switch (principal.kind) {
    case 'operator':
      return { actorKind: 'operator', actorId: principal.operatorId };
    case 'api_token':
      return { actorKind: 'api_token', actorId: principal.tokenId };
    case 'cli':
      return { actorKind: 'cli', actorId: null };
  }
}
