import type { Executor, KeyKind, KeyringRow } from './schema.js';

/** Looks up a live or destroyed key by its id. */
export function findKeyById(db: Executor, keyId: string): Promise<KeyringRow | undefined> {
  return db.selectFrom('keyring').selectAll().where('id', '=', keyId).executeTakeFirst();
}

/** Looks up the key of one data subject (live or tombstone). */
export function findSubjectKey(
  db: Executor,
  where: { kind: KeyKind; subjectId: string },
): Promise<KeyringRow | undefined> {
  return db
    .selectFrom('keyring')
    .selectAll()
    .where('kind', '=', where.kind)
    .where('subject_id', '=', where.subjectId)
    .executeTakeFirst();
}

/** Stores a freshly wrapped key. */
export async function insertKey(
  db: Executor,
  row: {
    id: string;
    accountId: string | null;
    kind: KeyKind;
    subjectId: string;
    wrappedBy: string;
    wrappedKey: Buffer;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('keyring')
    .values({
      id: row.id,
      account_id: row.accountId,
      kind: row.kind,
      subject_id: row.subjectId,
      wrapped_by: row.wrappedBy,
      wrapped_key: row.wrappedKey,
      created_at: row.now,
      destroyed_at: null,
    })
    .execute();
}

/** Destroys keys: the wrapped key is overwritten with NULL and a tombstone stays. Returns their ids. */
export async function destroyKeys(
  db: Executor,
  where: { accountId: string; kind?: KeyKind; subjectId?: string },
  now: number,
): Promise<string[]> {
  let query = db
    .updateTable('keyring')
    .set({ wrapped_key: null, destroyed_at: now })
    .where('account_id', '=', where.accountId)
    .where('destroyed_at', 'is', null);
  if (where.kind) query = query.where('kind', '=', where.kind);
  if (where.subjectId) query = query.where('subject_id', '=', where.subjectId);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

/** Every live key wrapped directly by `wrappedBy` (a master key id), for rotation. */
export function keysWrappedBy(db: Executor, wrappedBy: string): Promise<KeyringRow[]> {
  return db
    .selectFrom('keyring')
    .selectAll()
    .where('wrapped_by', '=', wrappedBy)
    .where('destroyed_at', 'is', null)
    .execute();
}

/** The master key ids that wrap live keys; one in a healthy installation, none in a new one. */
export async function masterKeyIdsInUse(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('keyring')
    .select('wrapped_by')
    .distinct()
    .where('kind', 'in', ['installation', 'account'])
    .where('destroyed_at', 'is', null)
    .execute();
  return rows.map((r) => r.wrapped_by);
}

/** Replaces a key's wrapping (rotation); the key itself, and so all data under it, stays the same. */
export async function rewrapKey(
  db: Executor,
  row: { id: string; wrappedBy: string; wrappedKey: Buffer },
): Promise<void> {
  await db
    .updateTable('keyring')
    .set({ wrapped_by: row.wrappedBy, wrapped_key: row.wrappedKey })
    .where('id', '=', row.id)
    .execute();
}
