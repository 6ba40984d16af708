import { randomUUID } from 'node:crypto';
import type { Role } from '@plauder/protocol';
import { blindIndex } from '../crypto/seal.js';
import { DEFAULT_CAPACITY } from './presence-repository.js';
import { inTransaction, openField, sealField, type Store } from './sealed-store.js';
import type { Executor, OperatorRow } from './schema.js';
import { mapUniqueViolation, type UniqueKey } from './unique-violation.js';

/** An operator with personal fields opened; the password hash and TOTP secret stay inside storage. */
export interface Operator {
  id: string;
  accountId: string;
  email: string;
  displayName: string;
  role: Role;
  totpEnabled: boolean;
  /** How many conversations routing gives them at most (their presence's capacity). */
  capacity: number;
  createdAt: number;
  disabledAt: number | null;
}

const context = (accountId: string, rowId: string, column: string) => ({
  accountId,
  table: 'operators',
  column,
  rowId,
});

/** The blind index of an operator email, for the login lookup across the installation. */
export async function operatorEmailIndex(store: Store, email: string): Promise<string> {
  return blindIndex(await store.keyring.operatorEmailIndexKey(store.db), email);
}

/** The answer of insertOperator when an operator (of any account) logs in with the email already. */
export const EMAIL_TAKEN = 'email-taken';

const EMAIL_KEY: UniqueKey = { constraint: 'operators_email_index_key', columns: 'operators.email_index' };

/**
 * Creates an operator with its own key; email and name are sealed, the email is indexed for login.
 * Answers EMAIL_TAKEN, writing nothing, when the email's index is taken: a check before the insert
 * can be overtaken by a concurrent one, the unique index cannot.
 */
export function insertOperator(
  store: Store,
  input: { accountId: string; email: string; displayName: string; role: Role; passwordHash: string; now: number },
): Promise<Operator | typeof EMAIL_TAKEN> {
  return inTransaction(store, (tx) =>
    mapUniqueViolation(tx.db, { key: EMAIL_KEY, answer: EMAIL_TAKEN }, async () => {
      const id = randomUUID();
      const key = await tx.keyring.createSubjectKey(tx.db, {
        accountId: input.accountId,
        kind: 'operator',
        subjectId: id,
        now: input.now,
      });
      const at = (column: string) => context(input.accountId, id, column);
      await tx.db
        .insertInto('operators')
        .values({
          id,
          account_id: input.accountId,
          email_index: await operatorEmailIndex(tx, input.email),
          // `as Buffer` is safe: sealField returns null only for a null or undefined value, and both are strings.
          email_sealed: sealField(key, input.email, at('email_sealed')) as Buffer,
          display_name_sealed: sealField(key, input.displayName, at('display_name_sealed')) as Buffer,
          role: input.role,
          password_hash: input.passwordHash,
          totp_secret_sealed: null,
          totp_enabled: 0,
          totp_last_step: null,
          created_at: input.now,
          updated_at: input.now,
          disabled_at: null,
        })
        .execute();
      return {
        id,
        accountId: input.accountId,
        email: input.email,
        displayName: input.displayName,
        role: input.role,
        totpEnabled: false,
        capacity: DEFAULT_CAPACITY,
        createdAt: input.now,
        disabledAt: null,
      };
    }),
  );
}

/** Operators' rows with their presence's capacity, NULL for one who never chose. */
function selectOperators(db: Executor) {
  return db
    .selectFrom('operators')
    .leftJoin('operator_presence', 'operator_presence.operator_id', 'operators.id')
    .selectAll('operators')
    .select('operator_presence.capacity');
}

async function present(store: Store, row: OperatorRow & { capacity: number | null }): Promise<Operator> {
  const at = (column: string) => context(row.account_id, row.id, column);
  return {
    id: row.id,
    accountId: row.account_id,
    email: (await openField(store, row.email_sealed, at('email_sealed'))) ?? '',
    displayName: (await openField(store, row.display_name_sealed, at('display_name_sealed'))) ?? '',
    role: row.role,
    totpEnabled: row.totp_enabled === 1,
    capacity: row.capacity ?? DEFAULT_CAPACITY,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

/** One operator of the account; `undefined` when unknown or another account's. */
export async function getOperator(
  store: Store,
  where: { accountId: string; operatorId: string },
): Promise<Operator | undefined> {
  const row = await selectOperators(store.db)
    .where('operators.account_id', '=', where.accountId)
    .where('operators.id', '=', where.operatorId)
    .executeTakeFirst();
  return row ? present(store, row) : undefined;
}

/** The operators of one account, oldest first; removed ones are not among them. */
export async function listOperators(store: Store, where: { accountId: string }): Promise<Operator[]> {
  const rows = await selectOperators(store.db)
    .where('operators.account_id', '=', where.accountId)
    .where('operators.disabled_at', 'is', null)
    .orderBy('operators.created_at')
    .execute();
  const operators: Operator[] = [];
  for (const row of rows) operators.push(await present(store, row));
  return operators;
}

/** What login needs of an operator found by email: credentials stay here, not in the Operator type. */
export interface LoginRecord {
  operator: Operator;
  passwordHash: string;
  totpSecret: string | null;
}

/** Finds an operator by email through the blind index, with the credentials login checks. */
export async function findLoginRecord(store: Store, email: string): Promise<LoginRecord | undefined> {
  const row = await selectOperators(store.db)
    .where('operators.email_index', '=', await operatorEmailIndex(store, email))
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    operator: await present(store, row),
    passwordHash: row.password_hash,
    totpSecret: await openField(store, row.totp_secret_sealed, context(row.account_id, row.id, 'totp_secret_sealed')),
  };
}

/** The operator's TOTP secret (pending or enabled), or null. */
export async function getTotpSecret(
  store: Store,
  where: { accountId: string; operatorId: string },
): Promise<string | null> {
  const row = await store.db
    .selectFrom('operators')
    .select(['account_id', 'id', 'totp_secret_sealed'])
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.operatorId)
    .executeTakeFirst();
  if (!row) return null;
  return openField(store, row.totp_secret_sealed, context(row.account_id, row.id, 'totp_secret_sealed'));
}

/** Stores (sealed) or clears the TOTP secret and whether 2FA is on. */
export async function setTotp(
  store: Store,
  input: { accountId: string; operatorId: string; secret: string | null; enabled: boolean; now: number },
): Promise<void> {
  const key = await store.keyring.subjectKey(store.db, {
    accountId: input.accountId,
    kind: 'operator',
    subjectId: input.operatorId,
  });
  await store.db
    .updateTable('operators')
    .set({
      totp_secret_sealed: sealField(
        key,
        input.secret,
        context(input.accountId, input.operatorId, 'totp_secret_sealed'),
      ),
      totp_enabled: input.enabled ? 1 : 0,
      updated_at: input.now,
    })
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.operatorId)
    .execute();
}

/** Changes an operator's role; false when the id is unknown or another account's. */
export async function setOperatorRole(
  store: Store,
  input: { accountId: string; operatorId: string; role: Role; now: number },
): Promise<boolean> {
  const result = await store.db
    .updateTable('operators')
    .set({ role: input.role, updated_at: input.now })
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.operatorId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** How many owners an account has (an account never loses its last owner). */
export async function countOwners(store: Store, where: { accountId: string }): Promise<number> {
  const row = await store.db
    .selectFrom('operators')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', where.accountId)
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Records that an operator used the TOTP code of time step `step`; false when that step (or a later
 * one) was used already. The conditional update makes two concurrent uses of one code fail but once.
 */
export async function claimTotpStep(
  db: Executor,
  input: { accountId: string; operatorId: string; step: number },
): Promise<boolean> {
  const result = await db
    .updateTable('operators')
    .set({ totp_last_step: input.step })
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.operatorId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', input.step)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** An operator's role and whether it is disabled, without opening any sealed field. */
export function findOperatorStanding(
  db: Executor,
  where: { accountId: string; operatorId: string },
): Promise<Pick<OperatorRow, 'role' | 'disabled_at'> | undefined> {
  return db
    .selectFrom('operators')
    .select(['role', 'disabled_at'])
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.operatorId)
    .executeTakeFirst();
}

/**
 * Removes an operator from the account: marks them disabled and replaces their email index with
 * `removed:` and their id, so the email is free for a new operator (the unique index over all rows
 * stays) and login no longer finds them. Their sealed name and email stay for the history of the
 * conversations they answered. Every API token they created is revoked, and every invitation they
 * sent that is still pending is deleted. False, changing nothing, for
 * an unknown id, another account's, or one removed already.
 */
export async function disableOperator(
  db: Executor,
  where: { accountId: string; operatorId: string; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('operators')
    .set({ disabled_at: where.now, email_index: `removed:${where.operatorId}`, updated_at: where.now })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.operatorId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await db
    .deleteFrom('operator_invitations')
    .where('account_id', '=', where.accountId)
    .where('created_by', '=', where.operatorId)
    .execute();
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: where.now })
    .where('account_id', '=', where.accountId)
    .where('created_by', '=', where.operatorId)
    .where('revoked_at', 'is', null)
    .execute();
  return true;
}
