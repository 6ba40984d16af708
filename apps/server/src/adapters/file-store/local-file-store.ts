import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { assertValidKey, assertValidPrefix, FileStoreError, type FileStore } from './file-store.js';

/** Options of a LocalFileStore. */
export interface LocalFileStoreOptions {
  /** The directory of the files (`<DATA_DIR>/files` by default), made with mode 0700 on the first put. */
  directory: string;
}

/**
 * The default file store: one file per key below a local directory. A put writes a temporary file,
 * syncs it and renames it into place, so a reader sees the old bytes or the new, never a part. Folders
 * are 0700 and files 0600: only the plauder user reads them.
 */
export class LocalFileStore implements FileStore {
  private readonly root: string;

  constructor(options: LocalFileStoreOptions) {
    this.root = path.resolve(options.directory);
  }

  async put(key: string, data: Buffer): Promise<void> {
    assertValidKey(key);
    const file = this.pathOf(key);
    const folder = path.dirname(file);
    // Temporary names start with "." and no key segment can, so they never meet a key.
    const temp = path.join(folder, `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      const firstMade = await mkdir(folder, { recursive: true, mode: 0o700 });
      await writeSynced(temp, data);
      await rename(temp, file);
      // The rename is durable once its folder is synced, and a folder made just now once its parent is.
      for (const made of foldersSyncedAfter(folder, firstMade)) await syncFolder(made);
    } catch (cause) {
      // The write failed: report that. A temporary file left behind by a failing rm is never read as a
      // key and goes with its folder's deletePrefix.
      await rm(temp, { force: true }).catch(() => undefined);
      throw new FileStoreError(`Cannot store "${key}" in ${this.root}`, { cause });
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    try {
      return await readFile(this.pathOf(key));
    } catch (cause) {
      if (isAbsent(cause)) return undefined;
      throw new FileStoreError(`Cannot read "${key}" from ${this.root}`, { cause });
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    // Emptied folders stay: removing them would race with a put that has just made one.
    try {
      await unlink(this.pathOf(key));
    } catch (cause) {
      if (isAbsent(cause)) return;
      throw new FileStoreError(`Cannot delete "${key}" from ${this.root}`, { cause });
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const folder = this.pathOf(prefix.slice(0, -1));
    try {
      // Most erased conversations never had a file. A stat that answers undefined for a missing folder
      // takes microseconds of the main thread (which it blocks meanwhile: on a local disk, that long);
      // the error of a readdir took 50–300 µs of it under the bulk-delete bench's load.
      if (statSync(folder, { throwIfNoEntry: false }) === undefined) return 0;
      const entries = await readdir(folder, { recursive: true, withFileTypes: true });
      // Leftover temporary files go too, but they were never stored objects, so they are not counted.
      const count = entries.filter((entry) => entry.isFile() && !entry.name.startsWith('.')).length;
      await rm(folder, { recursive: true, force: true });
      return count;
    } catch (cause) {
      if (isAbsent(cause)) return 0;
      throw new FileStoreError(`Cannot delete "${prefix}" from ${this.root}`, { cause });
    }
  }

  async close(): Promise<void> {
    // Every operation opens and closes its own handles: nothing is held between calls.
  }

  private pathOf(key: string): string {
    // Safe: a valid key has no "..", no "." and no leading "/" segment, so it stays below the root.
    return path.join(this.root, ...key.split('/'));
  }
}

async function writeSynced(file: string, data: Buffer): Promise<void> {
  // "wx": a fresh file, never one that someone placed there; 0600 before the first byte lands.
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Syncs the entries of `folder` (a rename or a new file in it) to disk. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `folder` and, when mkdir made folders from `firstMade` down to it, the parent of each of those. */
export function foldersSyncedAfter(folder: string, firstMade: string | undefined): string[] {
  const folders = [folder];
  if (firstMade === undefined) return folders;
  for (let made = folder; made !== path.dirname(made); made = path.dirname(made)) {
    folders.push(path.dirname(made));
    if (made === firstMade) break;
  }
  return folders;
}

/** Whether a file system error means "nothing is stored there": missing, or a folder, or below a file. */
function isAbsent(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
