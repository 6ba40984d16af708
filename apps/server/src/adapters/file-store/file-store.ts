/**
 * Where attachment bytes live: a local directory by default, S3-compatible storage in production. The
 * store knows nothing of sealing; callers hand it bytes already sealed with the conversation key.
 *
 * A key is a relative path such as `accounts/<uuid>/attachments/<uuid>`. A key is never also the
 * folder of other keys (a directory cannot be a file at the same time), which the key layout of the
 * callers guarantees.
 */
export interface FileStore {
  /** Stores `data` under `key`, replacing what was there; resolves once the bytes are durable. */
  put(key: string, data: Buffer): Promise<void>;
  /** The bytes stored under `key`, or undefined when there are none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Removes what is stored under `key`; a key with nothing stored is fine. */
  delete(key: string): Promise<void>;
  /** Removes every object whose key starts with `prefix` (a key followed by "/"); returns how many went. */
  deletePrefix(prefix: string): Promise<number>;
  /** Releases connections and handles; the store is not used afterwards. */
  close(): Promise<void>;
}

/**
 * The longest key, in characters (all ASCII). An S3 key prefix (a key and "/") and a key together
 * then stay within S3's 1,024 bytes.
 */
export const MAX_KEY_LENGTH = 500;

/** A segment is one file or folder name: at most 255 bytes on every common file system. */
const MAX_SEGMENT_LENGTH = 255;

// A segment starts with a letter or digit: this rules out "." and "..", hidden names, and the names
// of the local store's temporary files (which start with "."), so they can never collide with a key.
const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;

/** Raised for a key or prefix that breaks the key rules; nothing was read or written. */
export class InvalidFileKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid file store key ${JSON.stringify(shorten(key))}: ${reason}`);
    this.name = 'InvalidFileKeyError';
  }
}

/** Raised when the underlying storage fails; the message names the store, the key and the cause. */
export class FileStoreError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(`${message}: ${describeCause(options.cause)}`, options);
    this.name = 'FileStoreError';
  }
}

/** Why `key` is not a valid key, or undefined when it is one. */
function keyProblem(key: string): string | undefined {
  if (key === '') return 'it is empty';
  if (key.length > MAX_KEY_LENGTH) return `it is longer than ${MAX_KEY_LENGTH} characters`;
  if (key.startsWith('/')) return 'it starts with "/"; keys are relative paths';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'it has a "." or ".." segment';
    if (segment.length > MAX_SEGMENT_LENGTH) return `a segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) {
      return 'use only a-z, 0-9, "-", ".", "_" and "/", with each segment starting with a letter or digit';
    }
  }
  return undefined;
}

/** Throws InvalidFileKeyError unless `key` is a valid key. */
export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidFileKeyError(key, problem);
}

/**
 * Throws InvalidFileKeyError unless `prefix` is a valid key followed by "/". Whole segments only:
 * "accounts/a1/" must never reach "accounts/a10/…".
 */
export function assertValidPrefix(prefix: string): void {
  if (!prefix.endsWith('/')) {
    throw new InvalidFileKeyError(prefix, 'a prefix ends with "/", such as "accounts/<id>/"');
  }
  const problem = keyProblem(prefix.slice(0, -1));
  if (problem !== undefined) throw new InvalidFileKeyError(prefix, problem);
}

/** Whether `prefix` is a valid prefix (a key followed by "/"). */
export function isValidPrefix(prefix: string): boolean {
  return prefix.endsWith('/') && keyProblem(prefix.slice(0, -1)) === undefined;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** The cause in one line: its code or error name (such as ENOSPC or NoSuchBucket) and its message. */
export function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.name;
  return code === 'Error' || cause.message.includes(code) ? cause.message : `${code}: ${cause.message}`;
}
