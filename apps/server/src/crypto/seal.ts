import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { TamperedError } from './errors.js';

/**
 * Layout of a sealed value, version 1 (all offsets in bytes):
 *   0      version (1)
 *   1..16  id of the key that sealed it (16-byte UUID)
 *   17..28 IV (96 bits, fresh for every seal)
 *   29..44 GCM tag
 *   45..   ciphertext
 * The version and key id are authenticated as part of the associated data.
 */
export const SEAL_VERSION = 1;
const HEADER_BYTES = 17;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES;

/** A 256-bit key with the id under which the keyring knows it. */
export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
}

/** What a sealed value belongs to; it is bound into the ciphertext, so a value copied elsewhere fails. */
export interface SealContext {
  readonly accountId: string;
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

// Parsed key ids, per key object: keys come from the keyring's cache, so each is parsed about once.
const keyIdBytesCache = new WeakMap<DataKey, Buffer>();

function keyIdBytes(key: DataKey): Buffer {
  let bytes = keyIdBytesCache.get(key);
  if (!bytes) {
    // Buffer.from stops at the first character that is not hex, so a non-UUID comes out short.
    bytes = Buffer.from(key.id.replaceAll('-', ''), 'hex');
    if (bytes.length !== 16 || key.id.length !== 36) throw new Error(`Key id ${key.id} is not a UUID`);
    keyIdBytesCache.set(key, bytes);
  }
  return bytes;
}

function bytesToUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The associated data: the header (version, key id) followed by account, table, column and row id. */
function associatedData(header: Uint8Array, context: SealContext): Buffer {
  const bound = `${context.accountId}\u0000${context.table}\u0000${context.column}\u0000${context.rowId}`;
  const aad = Buffer.allocUnsafe(HEADER_BYTES + Buffer.byteLength(bound, 'utf8'));
  aad.set(header, 0);
  aad.write(bound, HEADER_BYTES, 'utf8');
  return aad;
}

// IVs are cut from a pool of random bytes, each part used once: one call into the random source
// serves 512 seals, and a call costs about as much as the rest of a small seal.
const IV_POOL_BYTES = IV_BYTES * 512;
let ivPool = Buffer.alloc(0);
let ivPoolOffset = 0;

function fillIv(iv: Buffer): void {
  if (ivPoolOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivPoolOffset = 0;
  }
  ivPool.copy(iv, 0, ivPoolOffset, ivPoolOffset + IV_BYTES);
  ivPoolOffset += IV_BYTES;
}

/** Seals `plaintext` with AES-256-GCM under `key`, bound to `context`. */
export function seal(key: DataKey, plaintext: string | Buffer, context: SealContext): Buffer {
  const body = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  // One output buffer, filled in place: header, IV, tag, then the ciphertext (GCM keeps lengths).
  const out = Buffer.allocUnsafe(PREFIX_BYTES + body.length);
  out[0] = SEAL_VERSION;
  keyIdBytes(key).copy(out, 1);
  const iv = out.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  fillIv(iv);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(associatedData(out.subarray(0, HEADER_BYTES), context));
  cipher.update(body).copy(out, PREFIX_BYTES);
  cipher.final();
  cipher.getAuthTag().copy(out, HEADER_BYTES + IV_BYTES);
  return out;
}

function checkFormat(sealed: Uint8Array): void {
  if (sealed.length < PREFIX_BYTES) throw new TamperedError(`too short: ${sealed.length} bytes`);
  if (sealed[0] !== SEAL_VERSION) throw new TamperedError(`unknown format version ${String(sealed[0])}`);
}

/** The id of the key a sealed value needs; throws TamperedError when the value is not a sealed value. */
export function sealedKeyId(sealed: Uint8Array): string {
  checkFormat(sealed);
  return bytesToUuid(sealed.subarray(1, HEADER_BYTES));
}

/** Opens a sealed value; throws TamperedError when it was altered, moved, or sealed with another key. */
export function open(key: DataKey, sealed: Uint8Array, context: SealContext): Buffer {
  checkFormat(sealed);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const header = bytes.subarray(0, HEADER_BYTES);
  if (!keyIdBytes(key).equals(header.subarray(1))) {
    throw new TamperedError(`sealed with key ${bytesToUuid(header.subarray(1))}, not ${key.id}`);
  }
  const iv = bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = bytes.subarray(HEADER_BYTES + IV_BYTES, PREFIX_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
  decipher.setAAD(associatedData(header, context));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(bytes.subarray(PREFIX_BYTES));
  try {
    decipher.final();
  } catch {
    throw new TamperedError(`${context.table}.${context.column} of row ${context.rowId}`);
  }
  return plaintext;
}

/** Opens a sealed value as UTF-8 text. */
export function openText(key: DataKey, sealed: Uint8Array, context: SealContext): string {
  return open(key, sealed, context).toString('utf8');
}

/**
 * A blind index: a keyed HMAC of a normalized value, so equal values can be found without storing them.
 * Normalization is trim + lowercase, which fits email addresses and search tokens.
 */
export function blindIndex(indexKey: Buffer, value: string): string {
  return createHmac('sha256', indexKey).update(value.trim().toLowerCase(), 'utf8').digest('base64url');
}
