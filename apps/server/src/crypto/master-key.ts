import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The file that holds the generated master key in embedded mode, inside DATA_DIR. */
export const MASTER_KEY_FILE = 'master.key';

/** Raised when the key file is missing its protection or its content. */
export class MasterKeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyFileError';
  }
}

/**
 * The public id of a master key, safe to log and to store: a UUID derived from the key by HMAC, so the
 * same key always has the same id and the id reveals nothing of the key.
 */
export function masterKeyId(masterKey: Buffer): string {
  const hex = createHmac('sha256', masterKey).update('plauder master key id').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The master key: from PLAUDER_MASTER_KEY when set, else (embedded mode only) from the key file in
 * `dataDir`, created with mode 0600 on first start. Refuses a key file that group or others can read.
 */
export function loadMasterKey(options: {
  configured: Buffer | undefined;
  embedded: boolean;
  dataDir: string;
  /** False where a new key would be of no use (a restore needs the backup's): no file is then an error. */
  generate?: boolean;
}): {
  key: Buffer;
  source: 'environment' | 'key-file' | 'generated-key-file';
} {
  if (options.configured) return { key: options.configured, source: 'environment' };
  if (!options.embedded) {
    throw new MasterKeyFileError('PLAUDER_MASTER_KEY is required outside the embedded mode');
  }
  const file = path.join(options.dataDir, MASTER_KEY_FILE);
  if (options.generate === false && !existsSync(file)) {
    throw new MasterKeyFileError(
      `There is no master key: set PLAUDER_MASTER_KEY, or copy the key file ${MASTER_KEY_FILE} of the installation the backup was made of to ${file} (mode 0600)`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails when the file exists, so two processes starting at once never overwrite each other's key.
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { key: readKeyFile(file), source: 'generated-key-file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { key: readKeyFile(file), source: 'key-file' };
}

function readKeyFile(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyFileError(
      `The master key file ${file} can be read by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`,
    );
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) {
    throw new MasterKeyFileError(`The master key file ${file} does not hold 32 bytes in base64`);
  }
  return key;
}

/** The file a rotation writes the new key to before the keyring is rewrapped under it. */
export const NEXT_MASTER_KEY_FILE = 'master.key.next';

/**
 * Embedded-mode rotation, step 1: writes the new key to `master.key.next` (0600). After the keyring
 * commit, `promoteNextMasterKey` renames it over `master.key`; a crash in between is repaired at the
 * next start, which tries the next key when the current one does not fit.
 */
export function writeNextMasterKey(dataDir: string, key: Buffer): string {
  const file = path.join(dataDir, NEXT_MASTER_KEY_FILE);
  // A leftover file may carry other permissions: remove it, then create a new one with mode 0600.
  rmSync(file, { force: true });
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}

/** The key left by an interrupted rotation, if any. */
export function readNextMasterKey(dataDir: string): Buffer | undefined {
  const file = path.join(dataDir, NEXT_MASTER_KEY_FILE);
  try {
    return readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Embedded-mode rotation, last step: the next key becomes the master key file (atomic rename). */
export function promoteNextMasterKey(dataDir: string): void {
  renameSync(path.join(dataDir, NEXT_MASTER_KEY_FILE), path.join(dataDir, MASTER_KEY_FILE));
}

/** Removes the next key of a rotation that did not commit. */
export function discardNextMasterKey(dataDir: string): void {
  rmSync(path.join(dataDir, NEXT_MASTER_KEY_FILE), { force: true });
}
