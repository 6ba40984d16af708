import type { Selectable } from 'kysely';
import { assertOwned } from './account-references.js';
import type { CannedResponsesTable, Executor } from './schema.js';
import { mapUniqueViolation, type UniqueKey } from './unique-violation.js';

/** A canned response as stored: an account's reply template, not personal data. */
export type CannedResponseRecord = Selectable<CannedResponsesTable>;

/** The fields of a canned response that can change. */
export type CannedResponseChanges = Partial<Pick<CannedResponseRecord, 'shortcut' | 'title' | 'body'>>;

/** The answer when the account has another canned response with the shortcut already. */
export const SHORTCUT_TAKEN = 'shortcut-taken';

const SHORTCUT_KEY: UniqueKey = {
  constraint: 'canned_responses_account_shortcut',
  columns: 'canned_responses.account_id, canned_responses.shortcut',
};

/** Runs one write, answering SHORTCUT_TAKEN for the shortcut's unique violation instead of throwing. */
function mapShortcutTaken<T>(db: Executor, write: () => Promise<T>): Promise<T | typeof SHORTCUT_TAKEN> {
  return mapUniqueViolation(db, { key: SHORTCUT_KEY, answer: SHORTCUT_TAKEN }, write);
}

/**
 * Stores a new canned response; answers SHORTCUT_TAKEN, writing nothing, when the account has the
 * shortcut already. Throws ReferenceNotFoundError when `created_by` is not an operator of the account;
 * the check and the insert share one transaction (the caller's, or one of its own).
 */
export async function insertCannedResponse(
  db: Executor,
  record: CannedResponseRecord,
): Promise<'inserted' | typeof SHORTCUT_TAKEN> {
  if (!db.isTransaction) return db.transaction().execute((tx) => insertCannedResponse(tx, record));
  await assertOwned(db, { table: 'operators', accountId: record.account_id, id: record.created_by, what: 'operator' });
  return mapShortcutTaken(db, async () => {
    await db.insertInto('canned_responses').values(record).execute();
    return 'inserted' as const;
  });
}

/** The canned responses of one account, in shortcut order. */
export function listCannedResponses(db: Executor, where: { accountId: string }): Promise<CannedResponseRecord[]> {
  return db
    .selectFrom('canned_responses')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .orderBy('shortcut')
    .execute();
}

/** One canned response of the account; undefined when unknown or another account's. */
export function getCannedResponse(
  db: Executor,
  where: { accountId: string; cannedResponseId: string },
): Promise<CannedResponseRecord | undefined> {
  return db
    .selectFrom('canned_responses')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.cannedResponseId)
    .executeTakeFirst();
}

/**
 * Changes a canned response of the account and answers it as now stored: undefined when unknown or
 * another account's, SHORTCUT_TAKEN (nothing changed) when another of the account's has the new shortcut.
 */
export function updateCannedResponse(
  db: Executor,
  where: { accountId: string; cannedResponseId: string; changes: CannedResponseChanges; now: number },
): Promise<CannedResponseRecord | undefined | typeof SHORTCUT_TAKEN> {
  const { shortcut, title, body } = where.changes;
  return mapShortcutTaken(db, () =>
    db
      .updateTable('canned_responses')
      .set({
        ...(shortcut === undefined ? {} : { shortcut }),
        ...(title === undefined ? {} : { title }),
        ...(body === undefined ? {} : { body }),
        updated_at: where.now,
      })
      .where('account_id', '=', where.accountId)
      .where('id', '=', where.cannedResponseId)
      .returningAll()
      .executeTakeFirst(),
  );
}

/** Deletes a canned response of the account; false when unknown or another account's. */
export async function deleteCannedResponse(
  db: Executor,
  where: { accountId: string; cannedResponseId: string },
): Promise<boolean> {
  const result = await db
    .deleteFrom('canned_responses')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.cannedResponseId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
