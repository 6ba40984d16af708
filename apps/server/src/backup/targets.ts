import { describeCause } from '../adapters/file-store/file-store.js';

/** One object held by a backup target. */
export interface BackupObject {
  /** Its name on the target, such as `backups/2026-12-01T03-00-00Z-ab12cd/data.plbk`. */
  readonly name: string;
  readonly sizeBytes: number;
  /** When it was last written, in UTC epoch milliseconds. */
  readonly modifiedAt: number;
}

/**
 * Where backups are kept: a local directory (`LocalDirectoryTarget`) by default, or a bucket of S3 or
 * an S3-compatible service (`S3Target`). A target knows nothing of what it keeps; backups reach it
 * already encrypted.
 *
 * Names are relative paths of segments of letters, digits, ".", "_" and "-", each starting with a
 * letter or digit. A name is never also the folder of other names.
 *
 * Failures are BackupTargetErrors: BackupTargetUnreachableError when the target cannot be reached,
 * BackupTargetFullError when it has no room, BackupNotFoundError when a read names nothing stored.
 */
export interface BackupTarget {
  /** Every object whose name starts with `prefix` ("" for all), sorted by name. */
  list(prefix: string): Promise<BackupObject[]>;
  /**
   * Stores the bytes of `source` under `name`, replacing what was there. All or nothing: no reader sees
   * the object before this resolves, and after a failure nothing of it is left. An error thrown by
   * `source` itself is passed on unchanged, so a failing producer is not blamed on the target.
   */
  write(name: string, source: AsyncIterable<Buffer>): Promise<void>;
  /**
   * The bytes stored under `name`, streamed in chunks of at most a few MiB. Iterating throws
   * BackupNotFoundError (at the first chunk) when nothing is stored under `name`.
   */
  read(name: string): AsyncIterable<Buffer>;
  /** Removes what is stored under `name`; a name with nothing stored is fine. */
  delete(name: string): Promise<void>;
  /** The target in words for messages: `directory /var/backups/plauder`, `s3://bucket/prefix/ in eu-central-1`. */
  describe(): string;
  /** Releases connections; the target is not used afterwards. */
  close(): Promise<void>;
}

/** The stable codes of the errors of backup targets. */
export type BackupTargetErrorCode =
  'backup_target_failed' | 'backup_target_unreachable' | 'backup_target_full' | 'backup_not_found';

/** A backup target failed; the message names the target, the object and the cause, never a credential. */
export class BackupTargetError extends Error {
  readonly code: BackupTargetErrorCode = 'backup_target_failed';
  constructor(
    /** The target, as its `describe()` says. */
    readonly target: string,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'BackupTargetError';
  }
}

/** The target could not be reached: connection refused, name not resolved, timeout, a lost network mount. */
export class BackupTargetUnreachableError extends BackupTargetError {
  override readonly code = 'backup_target_unreachable';
  constructor(target: string, message: string, options: { cause: unknown }) {
    super(target, message, options);
    this.name = 'BackupTargetUnreachableError';
  }
}

/** The target has no room: a full disk or quota, or a service that says it is full. */
export class BackupTargetFullError extends BackupTargetError {
  override readonly code = 'backup_target_full';
  constructor(target: string, message: string, options: { cause: unknown }) {
    super(target, message, options);
    this.name = 'BackupTargetFullError';
  }
}

/** Nothing is stored under the name that was read. */
export class BackupNotFoundError extends BackupTargetError {
  override readonly code = 'backup_not_found';
  constructor(
    target: string,
    readonly objectName: string,
  ) {
    super(target, `${target} holds nothing named "${objectName}"`);
    this.name = 'BackupNotFoundError';
  }
}

/** A name or prefix that breaks the name rules; nothing was read or written. */
export class InvalidBackupNameError extends Error {
  readonly code = 'invalid_backup_name';
  constructor(
    readonly objectName: string,
    reason: string,
  ) {
    const shown = objectName.length > 80 ? `${objectName.slice(0, 77)}…` : objectName;
    super(`Invalid backup name ${JSON.stringify(shown)}: ${reason}`);
    this.name = 'InvalidBackupNameError';
  }
}

/** What a failure means to the caller: retry later, make room, or look at the cause. */
export type FailureKind = 'unreachable' | 'full' | 'other';

/** The BackupTargetError of `kind` for a failed `action` on `objectName` ("" for none) of `target`. */
export function targetFailure(
  kind: FailureKind,
  details: { target: string; action: string; objectName: string; cause: unknown; note?: string },
): BackupTargetError {
  const { target, action, objectName, cause, note } = details;
  const what = objectName === '' ? action : `${action} "${objectName}"`;
  const because = describeCause(cause) + (note === undefined ? '' : `; ${note}`);
  switch (kind) {
    case 'unreachable':
      return new BackupTargetUnreachableError(target, `${target} is unreachable: cannot ${what}: ${because}`, {
        cause,
      });
    case 'full':
      return new BackupTargetFullError(target, `${target} is full: cannot ${what}: ${because}`, { cause });
    case 'other':
      return new BackupTargetError(target, `${target}: cannot ${what}: ${because}`, { cause });
  }
}

/** The longest name, in characters (all ASCII): with an S3 prefix it stays within S3's 1,024-byte keys. */
export const MAX_NAME_LENGTH = 500;

/** At most 255 bytes make a file name on every common file system. */
const MAX_SEGMENT_LENGTH = 255;

// A segment starts with a letter or digit: no "." or "..", no hidden names, and never the name of a
// temporary file of the local target (those start with "."). Upper case is allowed for ISO times
// such as 2026-12-01T03-00-00Z.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `name` is not a valid name, or undefined when it is one. */
function nameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (name.startsWith('/')) return 'it starts with "/"; names are relative paths';
  for (const segment of name.split('/')) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'it has a "." or ".." segment';
    if (segment.length > MAX_SEGMENT_LENGTH) return `a segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) {
      return 'use only letters, digits, "-", ".", "_" and "/", with each segment starting with a letter or digit';
    }
  }
  return undefined;
}

/** Whether `name` is a valid name. */
export function isValidBackupName(name: string): boolean {
  return nameProblem(name) === undefined;
}

/** Throws InvalidBackupNameError unless `name` is a valid name. */
export function assertValidBackupName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) throw new InvalidBackupNameError(name, problem);
}

/**
 * Throws InvalidBackupNameError unless `prefix` is "", a valid name, or a valid name followed by "/".
 * A prefix matches names by their first characters, as S3 does: "backups/2026-12" matches
 * "backups/2026-12-01T03-00-00Z-ab12cd/data.plbk".
 */
export function assertValidBackupPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = nameProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem !== undefined) throw new InvalidBackupNameError(prefix, problem);
}

/** Wraps an error thrown by the source of a write, so that a target tells it from its own failures. */
export class SourceError extends Error {
  constructor(readonly error: unknown) {
    super('The source of a backup write failed', { cause: error });
    this.name = 'SourceError';
  }
}

/** The chunks of `source`; an error of the source itself comes out as a SourceError. */
export async function* sourceChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    // Only the source's next() can throw here: a yield throws only when the caller throws into the
    // generator, which for-await never does. A caller that stops early ends the source through return().
    for await (const chunk of source) yield chunk;
  } catch (error) {
    throw new SourceError(error);
  }
}
