import { randomUUID } from 'node:crypto';
import type { Role } from '@plauder/protocol';
import { operatorEmailIndex } from './operators-repository.js';
import { openField, sealField, type Store } from './sealed-store.js';
import type { Executor, OperatorInvitationsTable } from './schema.js';
import type { Selectable } from 'kysely';
import { mapUniqueViolation, type UniqueKey } from './unique-violation.js';

/** A pending invitation with the invitee's email opened; the token's hash stays in storage. */
export interface OperatorInvitation {
  id: string;
  accountId: string;
  email: string;
  role: Role;
  /** The operator who sent it; null when an API token or the command line did. */
  createdBy: string | null;
  createdAt: number;
  expiresAt: number;
}

/** The answer of insertInvitation when the account has an invitation for the email already. */
export const INVITATION_PENDING = 'invitation-pending';

const EMAIL_KEY: UniqueKey = {
  constraint: 'operator_invitations_account_email',
  columns: 'operator_invitations.account_id, operator_invitations.email_index',
};

const context = (accountId: string, rowId: string) => ({
  accountId,
  table: 'operator_invitations',
  column: 'email_sealed',
  rowId,
});

/**
 * Stores an invitation: the email sealed with the account key (the invitee has no key of their own
 * yet) and indexed as operators' emails are; only the hash of the link's token. Answers
 * INVITATION_PENDING, writing nothing, when the account has an invitation for this email already
 * (one sent at the same time included: the unique constraint decides, not a check before).
 */
export async function insertInvitation(
  store: Store,
  input: {
    accountId: string;
    email: string;
    role: Role;
    tokenHash: string;
    createdBy: string | null;
    now: number;
    expiresAt: number;
  },
): Promise<OperatorInvitation | typeof INVITATION_PENDING> {
  const id = randomUUID();
  const key = await store.keyring.accountKey(store.db, input.accountId);
  const emailIndex = await operatorEmailIndex(store, input.email);
  return mapUniqueViolation(store.db, { key: EMAIL_KEY, answer: INVITATION_PENDING }, async () => {
    await store.db
      .insertInto('operator_invitations')
      .values({
        id,
        account_id: input.accountId,
        // `as Buffer` is safe: sealField returns null only for a null or undefined value, and email is a string.
        email_sealed: sealField(key, input.email, context(input.accountId, id)) as Buffer,
        email_index: emailIndex,
        role: input.role,
        token_hash: input.tokenHash,
        created_by: input.createdBy,
        created_at: input.now,
        expires_at: input.expiresAt,
      })
      .execute();
    return {
      id,
      accountId: input.accountId,
      email: input.email,
      role: input.role,
      createdBy: input.createdBy,
      createdAt: input.now,
      expiresAt: input.expiresAt,
    };
  });
}

async function present(store: Store, row: Selectable<OperatorInvitationsTable>): Promise<OperatorInvitation> {
  return {
    id: row.id,
    accountId: row.account_id,
    email: (await openField(store, row.email_sealed, context(row.account_id, row.id))) ?? '',
    role: row.role,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** Whether the account has an invitation for this email that has not expired by `now`. */
export async function hasPendingInvitation(
  store: Store,
  where: { accountId: string; email: string; now: number },
): Promise<boolean> {
  const row = await store.db
    .selectFrom('operator_invitations')
    .select('id')
    .where('account_id', '=', where.accountId)
    .where('email_index', '=', await operatorEmailIndex(store, where.email))
    .where('expires_at', '>', where.now)
    .executeTakeFirst();
  return row !== undefined;
}

/** The account's invitations that have not expired by `now`, newest first. */
export async function listPendingInvitations(
  store: Store,
  where: { accountId: string; now: number },
): Promise<OperatorInvitation[]> {
  const rows = await store.db
    .selectFrom('operator_invitations')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('expires_at', '>', where.now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const invitations: OperatorInvitation[] = [];
  for (const row of rows) invitations.push(await present(store, row));
  return invitations;
}

/** Deletes one invitation of the account; false for an unknown id, another account's, or one gone already. */
export async function deleteInvitation(
  db: Executor,
  where: { accountId: string; invitationId: string },
): Promise<boolean> {
  const result = await db
    .deleteFrom('operator_invitations')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.invitationId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Takes the invitation of a token hash, if it has not expired by `now`: deletes its row and answers it
 * opened. Of two acceptances of one token at once, only one gets it. `undefined` for an unknown, used,
 * revoked or expired token.
 */
export async function claimInvitation(
  store: Store,
  where: { tokenHash: string; now: number },
): Promise<OperatorInvitation | undefined> {
  const row = await store.db
    .deleteFrom('operator_invitations')
    .where('token_hash', '=', where.tokenHash)
    .where('expires_at', '>', where.now)
    .returningAll()
    .executeTakeFirst();
  return row && present(store, row);
}

/** The invitation of a token hash, if it has not expired by `now`; `undefined` otherwise. */
export async function findInvitationByToken(
  store: Store,
  where: { tokenHash: string; now: number },
): Promise<OperatorInvitation | undefined> {
  const row = await store.db
    .selectFrom('operator_invitations')
    .selectAll()
    .where('token_hash', '=', where.tokenHash)
    .where('expires_at', '>', where.now)
    .executeTakeFirst();
  return row && present(store, row);
}

/** Deletes every invitation, of any account, that expired by `now`; answers how many went. */
export async function deleteExpiredInvitations(db: Executor, now: number): Promise<number> {
  const result = await db.deleteFrom('operator_invitations').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
