import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { foldersSyncedAfter, syncFolder } from '../adapters/file-store/local-file-store.js';
import {
  assertValidBackupName,
  assertValidBackupPrefix,
  BackupNotFoundError,
  isValidBackupName,
  SourceError,
  sourceChunks,
  targetFailure,
  type BackupObject,
  type BackupTarget,
  type FailureKind,
} from './targets.js';

/** The largest chunk a read yields: big enough for few system calls, small enough to stream. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The default backup target: one file per name below a local directory (`DATA_DIR/backups` unless
 * BACKUP_DIR says otherwise). A write goes to a temporary file in the same folder, is synced, renamed
 * into place and its folder synced: a reader sees the old file or the whole new one, and a crash
 * leaves at most a temporary file, which no listing shows. Folders are made 0700 and files 0600.
 */
export class LocalDirectoryTarget implements BackupTarget {
  private readonly root: string;

  constructor(directory: string) {
    this.root = path.resolve(directory);
  }

  async list(prefix: string): Promise<BackupObject[]> {
    assertValidBackupPrefix(prefix);
    // Only the folder named by the prefix's whole segments needs walking.
    const folder = this.pathOf(prefix.slice(0, prefix.lastIndexOf('/') + 1));
    try {
      const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
        if (isAbsent(error)) return [];
        throw error;
      });
      const names = entries
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
        // Temporary files and anything else that is no valid name were never written by a target.
        .filter((name) => name.startsWith(prefix) && isValidBackupName(name))
        .sort();
      const objects: BackupObject[] = [];
      for (const name of names) {
        const stats = await stat(this.pathOf(name)).catch((error: unknown) => {
          if (isAbsent(error)) return undefined; // deleted since the walk
          throw error;
        });
        if (stats !== undefined) objects.push({ name, sizeBytes: stats.size, modifiedAt: Math.floor(stats.mtimeMs) });
      }
      return objects;
    } catch (cause) {
      throw prefix === ''
        ? this.failure('list the objects', '', cause)
        : this.failure('list the objects under', prefix, cause);
    }
  }

  async write(name: string, source: AsyncIterable<Buffer>): Promise<void> {
    assertValidBackupName(name);
    const file = this.pathOf(name);
    const folder = path.dirname(file);
    // Temporary names start with "." and no name segment can, so they never meet a name.
    const temp = path.join(folder, `.${randomBytes(8).toString('hex')}.tmp`);
    let handle: FileHandle | undefined;
    try {
      const firstMade = await mkdir(folder, { recursive: true, mode: 0o700 });
      // "wx": a fresh file, never one that someone placed there; 0600 before the first byte lands.
      handle = await open(temp, 'wx', 0o600);
      for await (const chunk of sourceChunks(source)) await writeAll(handle, chunk);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, file);
      // The rename is durable once its folder is synced, and a folder made just now once its parent is.
      for (const made of foldersSyncedAfter(folder, firstMade)) await syncFolder(made);
    } catch (cause) {
      // The write failed: that is what is reported. A temporary file that a failing rm leaves behind
      // is never listed or read.
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      if (cause instanceof SourceError) throw cause.error;
      throw this.failure('write', name, cause);
    }
  }

  read(name: string): AsyncIterable<Buffer> {
    assertValidBackupName(name);
    return this.chunksOf(name);
  }

  async delete(name: string): Promise<void> {
    assertValidBackupName(name);
    // Emptied folders stay: removing one would race with a write that has just made it.
    try {
      await unlink(this.pathOf(name));
    } catch (cause) {
      if (isAbsent(cause)) return;
      throw this.failure('delete', name, cause);
    }
  }

  describe(): string {
    return `directory ${this.root}`;
  }

  async close(): Promise<void> {
    // Every operation opens and closes its own handles: nothing is held between calls.
  }

  private async *chunksOf(name: string): AsyncGenerator<Buffer> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(name), 'r');
      // Opening a folder succeeds on Linux; a folder is not a stored object.
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw Object.assign(new Error(`"${name}" is a folder`), { code: 'EISDIR' });
      }
    } catch (cause) {
      if (isAbsent(cause)) throw new BackupNotFoundError(this.describe(), name);
      throw this.failure('read', name, cause);
    }
    // The stream closes the handle when it ends, fails, or is destroyed by a caller that stops early.
    const stream = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    try {
      // Safe: a stream without an encoding yields Buffers.
      for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    } catch (cause) {
      throw this.failure('read', name, cause);
    }
  }

  private pathOf(name: string): string {
    // Safe: a valid name has no "..", no "." and no leading "/" segment, so it stays below the root.
    return path.join(this.root, ...name.split('/'));
  }

  private failure(action: string, name: string, cause: unknown) {
    return targetFailure(fileSystemFailureKind(cause), { target: this.describe(), action, objectName: name, cause });
  }
}

// A network file system that lost its server answers with these; a local disk never does.
const UNREACHABLE_CODES = new Set(['ESTALE', 'ENOTCONN', 'ETIMEDOUT', 'EHOSTDOWN', 'EHOSTUNREACH', 'ENETUNREACH']);
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** What a file system error means for a backup: the disk or quota is full, the mount is gone, or else. */
export function fileSystemFailureKind(error: unknown): FailureKind {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (typeof code !== 'string') return 'other';
  if (FULL_CODES.has(code)) return 'full';
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  return 'other';
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, offset);
    offset += bytesWritten;
  }
}

/** Whether a file system error means "nothing is stored there": missing, or a folder, or below a file. */
function isAbsent(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
