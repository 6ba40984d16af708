import { createHmac, hkdfSync } from 'node:crypto';
import type { DataKey } from '../../crypto/seal.js';
import type { Store } from '../../storage/sealed-store.js';
import { SEARCH_TOKEN_BYTES } from '../../storage/search-repository.js';
import { searchTokens } from './tokens.js';

/** The HKDF label of an account's search key: a new version of the index gets a new label. */
const SEARCH_KEY_INFO = 'plauder/search-index/v1';

/**
 * Search keys by the account key they were derived from. Keyed by the keyring's own cached key
 * object, a search key lives exactly as long as that object stays in the keyring's cache: when the
 * keyring forgets or destroys the account key, the next lookup unwraps a new object (or throws
 * KeyDestroyedError) and the old search key goes with the old object. Never stored anywhere.
 */
const derived = new WeakMap<DataKey, Buffer>();

/**
 * The account's search key: HKDF-SHA-256 of the account key under a fixed label. Throws
 * KeyDestroyedError once the account key is destroyed: the index is then meaningless.
 */
export async function searchKey(store: Store, accountId: string): Promise<Buffer> {
  const accountKey = await store.keyring.accountKey(store.db, accountId);
  let key = derived.get(accountKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', accountKey.key, Buffer.alloc(0), SEARCH_KEY_INFO, 32));
    derived.set(accountKey, key);
  }
  return key;
}

/** The blind index of each token: HMAC-SHA-256 under the search key, cut to 16 bytes, concatenated. */
export function hashTokens(key: Buffer, tokens: readonly string[]): Uint8Array {
  // Its own memory (not Node's shared pool): it may be posted to the SQLite writer thread whole.
  const hashes = new Uint8Array(tokens.length * SEARCH_TOKEN_BYTES);
  tokens.forEach((token, index) => {
    const mac = createHmac('sha256', key).update(token, 'utf8').digest();
    hashes.set(mac.subarray(0, SEARCH_TOKEN_BYTES), index * SEARCH_TOKEN_BYTES);
  });
  return hashes;
}

/**
 * The search index entries of a message's text (its body, or a file's name), ready to be stored with
 * it: the hashes of its tokens (searchTokens), concatenated. Empty for a text without a word.
 */
export async function messageSearchTokens(
  store: Store,
  input: { accountId: string; text: string },
): Promise<Uint8Array> {
  const tokens = searchTokens(input.text);
  if (tokens.length === 0) return new Uint8Array(0);
  return hashTokens(await searchKey(store, input.accountId), tokens);
}
