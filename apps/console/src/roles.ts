/**
 * What each role may do, as the console shows it. The API refuses the same things on its own
 * (domain/principal.ts requireRole in the server); hiding them here only spares the operator a refusal.
 */
import type { Role } from '@plauder/protocol';

const rank: Record<Role, number> = { operator: 1, admin: 2, owner: 3 };

/** The least role each guarded action needs. */
const needs = {
  /** Widget designer, API tokens, operators, canned responses (edit). */
  manageAccount: 'admin',
  /** Give a waiting conversation to a colleague. */
  assignConversation: 'admin',
  /** Erase a contact with all their conversations. */
  deleteContact: 'admin',
  /** The privacy page: retention, bulk deletes and their jobs, subject access exports. */
  managePrivacy: 'admin',
  /** The reports page (its operators' table compares people) and the account's time zone it counts in. */
  viewReports: 'admin',
  /** Delete one message of a transcript. */
  deleteMessage: 'admin',
  /** Download everything kept about a contact. */
  exportContact: 'admin',
  /** Terminate the account (its data is deleted after the grace period). */
  closeAccount: 'owner',
  /** Grant or take the owner role. */
  manageOwners: 'owner',
} as const satisfies Record<string, Role>;

/** A guarded action. */
export type Action = keyof typeof needs;

/** Whether a role may take an action. */
export function may(role: Role, action: Action): boolean {
  return rank[role] >= rank[needs[action]];
}
