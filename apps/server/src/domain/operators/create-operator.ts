import { LoginRequest, type Role } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { EMAIL_TAKEN, findLoginRecord, insertOperator, type Operator } from '../../storage/operators-repository.js';
import { inTransaction, type Store } from '../../storage/sealed-store.js';
import { hashPassword } from '../auth/passwords.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type CliActor, type Principal } from '../principal.js';

/**
 * The normalized form of a new operator's email; throws `validation_failed` for one the login request
 * refuses (the CLI takes any text), since such an operator could never log in.
 */
export function loginEmail(email: string): string {
  const parsed = LoginRequest.shape.email.safeParse(email);
  if (!parsed.success) {
    throw new AppError(
      'validation_failed',
      'The email is not an address an operator can log in with; use one like name@example.com',
    );
  }
  return parsed.data;
}

/** The `conflict` of an email that an operator of any account logs in with already. */
export function emailTaken(): AppError {
  return new AppError('conflict', 'An operator with this email exists already; each email logs in to one account');
}

/** Throws `conflict` when an operator of any account already logs in with this email. */
export async function assertEmailFree(store: Store, email: string): Promise<void> {
  if (await findLoginRecord(store, email)) throw emailTaken();
}

/** The trimmed display name of an operator; throws `validation_failed` unless it has 1 to 120 characters. */
export function displayNameOf(raw: string): string {
  const displayName = raw.trim();
  if (!displayName || displayName.length > 120) {
    throw new AppError('validation_failed', 'The display name needs 1 to 120 characters');
  }
  return displayName;
}

/**
 * Adds an operator to the account of `by`. Admins add operators and admins; only owners (and the
 * command line) add owners. API tokens add operators only: a token that could add an admin with a
 * password of its choosing could log in as that admin and mint tokens, which tokens may not.
 */
export async function createOperator(
  ctx: Context,
  input: { by: Principal | CliActor; email: string; displayName: string; password: string; role: Role },
): Promise<Operator> {
  requireRole(input.by, 'admin');
  if (input.role === 'owner') requireRole(input.by, 'owner');
  if (input.by.kind === 'api_token' && input.role !== 'operator') {
    throw new AppError('forbidden', 'API tokens add operators only; admins and owners are added by a person');
  }
  const displayName = displayNameOf(input.displayName);
  const email = loginEmail(input.email);
  // Checked before the (deliberately slow) password hash; checked again in the transaction below.
  await assertEmailFree(ctx.store, email);
  if (!(await findAccount(ctx.database.db, input.by.accountId))) {
    throw new AppError('not_found', `No account with id ${input.by.accountId}`);
  }
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  return inTransaction(ctx.store, (tx) =>
    addOperator(tx, {
      accountId: input.by.accountId,
      email,
      displayName,
      role: input.role,
      passwordHash,
      now,
      createdBy: actorOf(input.by),
    }),
  );
}

/**
 * Writes a new operator in the transaction of `tx` and audits it as `operator.created`, by `createdBy`
 * or, for `'invitation'`, by the new operator accepting an invitation. The email is checked free again:
 * the check before the (slow) password hash may be stale by now. Email and display name come checked
 * (loginEmail, displayNameOf).
 */
export async function addOperator(
  tx: Store,
  input: {
    accountId: string;
    email: string;
    displayName: string;
    role: Role;
    passwordHash: string;
    now: number;
    createdBy: ReturnType<typeof actorOf> | 'invitation';
  },
): Promise<Operator> {
  const { createdBy, ...fields } = input;
  await assertEmailFree(tx, fields.email);
  const operator = await insertOperator(tx, fields);
  // One added at the same time, in another transaction, got past the check above.
  if (operator === EMAIL_TAKEN) throw emailTaken();
  await insertAuditEntry(tx.db, {
    accountId: fields.accountId,
    ...(createdBy === 'invitation' ? { actorKind: 'operator', actorId: operator.id } : createdBy),
    action: 'operator.created',
    targetKind: 'operator',
    targetIds: [operator.id],
    at: fields.now,
  });
  return operator;
}
