import { getMeta, setMeta } from './meta-repository.js';
import type { Executor } from './schema.js';

/** The meta entry of when the master key in use was made (epoch ms as text): at the first start, or by a rotation. */
const CREATED_AT = 'master_key_created_at';

/** Records that the master key in use was made at `at`; a rotation calls it in its own transaction. */
export async function recordMasterKeyCreated(db: Executor, at: number): Promise<void> {
  await setMeta(db, CREATED_AT, String(at));
}

/** When the master key in use was made, as recorded; undefined before the start that records it. */
export async function masterKeyCreatedAt(db: Executor): Promise<number | undefined> {
  const value = await getMeta(db, CREATED_AT);
  return value === undefined ? undefined : Number(value);
}

/**
 * Records when the master key in use was made, unless recorded already (each start calls it). A new
 * installation makes its key now; one made before the record existed tells from what it kept: its
 * newest rotation's audit entry (`keys.rotated`), else its installation keys, made with the first
 * master key at its first start.
 */
export async function recordMasterKeyCreatedOnce(db: Executor, now: number): Promise<void> {
  if ((await masterKeyCreatedAt(db)) !== undefined) return;
  const rotated = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('account_id', 'is', null)
    .where('action', '=', 'keys.rotated')
    .executeTakeFirst();
  const first = await db
    .selectFrom('keyring')
    .select((eb) => eb.fn.min('created_at').as('at'))
    .where('kind', '=', 'installation')
    .executeTakeFirst();
  await recordMasterKeyCreated(db, rotated?.at ?? first?.at ?? now);
}
