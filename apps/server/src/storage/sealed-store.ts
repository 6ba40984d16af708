import type { Keyring } from '../crypto/keyring.js';
import { openText, seal, sealedKeyId, type DataKey, type SealContext } from '../crypto/seal.js';
import type { Executor } from './schema.js';

/** What a repository of personal data needs: a database handle (or transaction) and the keyring. */
export interface Store {
  readonly db: Executor;
  readonly keyring: Keyring;
}

/** Seals a nullable text field bound to its row; `null` stays `null`. */
export function sealField(key: DataKey, value: string | null | undefined, context: SealContext): Buffer | null {
  return value === null || value === undefined ? null : seal(key, value, context);
}

/**
 * Opens a sealed field with the key its header names; throws KeyDestroyedError once that key is gone
 * and TamperedError when the value was altered or belongs to another row or account.
 */
export async function openField(store: Store, sealed: Uint8Array | null, context: SealContext): Promise<string | null> {
  if (sealed === null) return null;
  const key = await store.keyring.keyById(store.db, sealedKeyId(sealed));
  return openText(key, sealed, context);
}

/** Runs `work` in one transaction over a store; on SQLite and PostgreSQL alike. */
export function inTransaction<T>(store: Store, work: (store: Store) => Promise<T>): Promise<T> {
  if (store.db.isTransaction) return work(store);
  return store.db.transaction().execute((trx) => work({ db: trx, keyring: store.keyring }));
}
