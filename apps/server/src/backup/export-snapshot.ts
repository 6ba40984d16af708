import type { Kysely } from 'kysely';
import type { FileStore } from '../adapters/file-store/file-store.js';
import type { DialectName } from '../storage/database.js';
import type { Schema } from '../storage/schema.js';
import { DATA_TABLES, KEYRING_TABLES } from './backup-tables.js';
import { frame, jsonFrame, RowChecksum, rowsFrame } from './frames.js';

/** What an artifact says of itself first: enough to restore it into the right schema. */
export interface ArtifactHeader {
  format: 1;
  kind: 'data' | 'keyring';
  /** The backup's id: its data artifact and its keyring artifact share it. */
  id: string;
  createdAt: number;
  /** The database it was read from. */
  dialect: DialectName;
  /** The migrations the database had run, in order: a restore brings its target to the last one first. */
  migrations: string[];
}

/** How many rows of a table an artifact holds, and their checksum (RowChecksum). */
export interface TableCount {
  rows: number;
  checksum: string;
}

/** What an artifact holds, counted as it was written: its last frame, which a verification compares. */
export interface ArtifactManifest {
  tables: Record<string, TableCount>;
  /** The files of the attachments; those deleted between the snapshot and their read are `missing`. */
  files: { count: number; bytes: number; checksum: string; missing: number };
}

/** Rows a row frame holds at most; fewer when they pass MAX_ROWS_FRAME_BYTES. */
const ROWS_PER_FRAME = 1000;
/** About the size of a row frame: rows are cut into frames of this size or a little more. */
const MAX_ROWS_FRAME_BYTES = 4 * 1024 * 1024;
/** A file's content is cut into byte frames of this size. */
const FILE_PIECE_BYTES = 1024 * 1024;

/** The approximate size of a row's values, to cut row frames before they grow too long. */
function sizeOf(row: readonly unknown[]): number {
  let bytes = 0;
  for (const value of row) {
    if (typeof value === 'string') bytes += value.length;
    else if (Buffer.isBuffer(value)) bytes += value.length;
    else bytes += 9;
  }
  return bytes;
}

/**
 * The frames of one table: a table frame, then its rows in row frames. Every row is counted into the
 * table's checksum, which `counts` receives.
 */
async function* tableFrames(
  db: Kysely<Schema>,
  table: keyof Schema,
  counts: Record<string, TableCount>,
  progress?: (rows: number) => void,
): AsyncIterable<Buffer> {
  const checksum = new RowChecksum();
  let columns: string[] | undefined;
  let batch: unknown[][] = [];
  let batchBytes = 0;
  for await (const record of db.selectFrom(table).selectAll().stream(ROWS_PER_FRAME)) {
    const values = record as Record<string, unknown>;
    if (!columns) {
      columns = Object.keys(values);
      yield jsonFrame('T', { table, columns });
    }
    const row = columns.map((column) => values[column] ?? null);
    checksum.add(row);
    batch.push(row);
    batchBytes += sizeOf(row);
    if (batch.length >= ROWS_PER_FRAME || batchBytes >= MAX_ROWS_FRAME_BYTES) {
      progress?.(batch.length);
      yield rowsFrame(batch);
      batch = [];
      batchBytes = 0;
    }
  }
  if (!columns) yield jsonFrame('T', { table, columns: [] });
  if (batch.length > 0) {
    progress?.(batch.length);
    yield rowsFrame(batch);
  }
  counts[table] = { rows: checksum.count, checksum: checksum.value };
}

/**
 * The plaintext of a data artifact, read from `db` (a read snapshot, inReadSnapshot): the header, every
 * row of the data tables, then the file of each attachment from `fileStore`, and the manifest. The
 * manifest is also handed to `done`, for the backup's listing.
 */
export async function* dataFrames(
  db: Kysely<Schema>,
  input: {
    header: ArtifactHeader;
    fileStore: FileStore;
    done?: (manifest: ArtifactManifest) => void;
    /** Hears the rows read so far, of how many the snapshot holds. */
    progress?: (rows: number, total: number) => void;
  },
): AsyncIterable<Buffer> {
  yield jsonFrame('H', input.header);
  const manifest: ArtifactManifest = { tables: {}, files: { count: 0, bytes: 0, checksum: '', missing: 0 } };
  let total = 0;
  if (input.progress) {
    for (const table of DATA_TABLES) {
      const { n } = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      total += Number(n);
    }
  }
  let read = 0;
  const progress = (rows: number) => {
    read += rows;
    input.progress?.(read, total);
  };
  for (const table of DATA_TABLES) yield* tableFrames(db, table, manifest.tables, progress);
  const files = new RowChecksum();
  const keys = db.selectFrom('attachments').select('storage_key').orderBy('storage_key').stream(ROWS_PER_FRAME);
  for await (const { storage_key: key } of keys) {
    // Deleted since the snapshot: its conversation was erased meanwhile, and a restore drops it too.
    const content = await input.fileStore.get(key);
    if (!content) {
      manifest.files.missing += 1;
      continue;
    }
    yield jsonFrame('F', { key, size: content.length });
    for (let at = 0; at < content.length; at += FILE_PIECE_BYTES) {
      yield frame('B', content.subarray(at, Math.min(content.length, at + FILE_PIECE_BYTES)));
    }
    files.add([key, content]);
    manifest.files.bytes += content.length;
  }
  manifest.files.count = files.count;
  manifest.files.checksum = files.value;
  yield jsonFrame('M', manifest);
  yield frame('Z');
  input.done?.(manifest);
}

/** The plaintext of a keyring artifact, read from `db` (the same snapshot as its data artifact). */
export async function* keyringFrames(
  db: Kysely<Schema>,
  input: { header: ArtifactHeader; done?: (manifest: ArtifactManifest) => void },
): AsyncIterable<Buffer> {
  yield jsonFrame('H', input.header);
  const manifest: ArtifactManifest = { tables: {}, files: { count: 0, bytes: 0, checksum: '', missing: 0 } };
  for (const table of KEYRING_TABLES) yield* tableFrames(db, table, manifest.tables);
  manifest.files.checksum = new RowChecksum().value;
  yield jsonFrame('M', manifest);
  yield frame('Z');
  input.done?.(manifest);
}
