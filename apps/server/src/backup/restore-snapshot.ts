import { sql } from 'kysely';
import type { FileStore } from '../adapters/file-store/file-store.js';
import {
  appliedMigrations,
  knownMigrations,
  migrateTo,
  migrateToLatest,
  tableRows,
  type Database,
} from '../storage/database.js';
import type { Schema } from '../storage/schema.js';
import { DATA_TABLES, KEYRING_TABLES } from './backup-tables.js';
import type { ArtifactHeader } from './export-snapshot.js';
import { addChecksums, RowChecksum, subtractChecksums } from './frames.js';
import { importData, readErased, type ImportResult } from './import-snapshot.js';

/** Tables of the data that a restore takes from the newest keyring artifact instead: the erasure records. */
const FROM_KEYRING: readonly string[] = DATA_TABLES.filter((table) =>
  (KEYRING_TABLES as readonly string[]).includes(table),
);

/** Raised, writing nothing, when a restore's target database holds data already. */
export class RestoreTargetNotEmptyError extends Error {
  constructor(detail: string) {
    super(
      `A restore writes into an empty database only, and this one is not (${detail}): point DATABASE_URL or DATA_DIR at a new one`,
    );
    this.name = 'RestoreTargetNotEmptyError';
  }
}

/** Raised, writing nothing, for a backup this version cannot restore. */
export class BackupVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupVersionError';
  }
}

/** What a restore wrote and left out, and whether the database reads back what it wrote. */
export interface RestoreReport extends ImportResult {
  keyringHeader: ArtifactHeader;
  /** Keys written from the keyring artifact, and those of accounts not restored. */
  keys: { written: number; leftOut: number };
  /** Tables whose rows, read back, are not what the backup held less what was left out; empty when all are. */
  mismatches: string[];
}

/** Where a restore reads its two artifacts: each a new stream, read from the start, on each call. */
export interface RestoreSources {
  data: () => AsyncIterable<Buffer>;
  /** The newest keyring artifact: it says what was erased since the data was backed up. */
  keyring: () => AsyncIterable<Buffer>;
}

/**
 * Restores a backup's decrypted artifacts into `target`, an empty database, and `fileStore`: brings the
 * target to the backup's schema, writes its rows and files but what the newest keyring says was erased
 * since (and visitor IP addresses past their 24 hours at `now`), writes that keyring's keys and
 * erasure records, reads every table back against what it wrote, and migrates to this version.
 * Throws RestoreTargetNotEmptyError or BackupVersionError before writing anything.
 */
export async function restoreSnapshot(
  target: Database,
  input: {
    sources: RestoreSources;
    fileStore: FileStore;
    now: number;
    /** False to leave the target at the backup's schema (a verification reads it and throws it away). */
    migrate?: boolean;
    progress?: (rows: number) => void;
  },
): Promise<RestoreReport> {
  await assertEmpty(target);
  const files: string[] = [];
  let imported: ImportResult;
  let keyringHeader: ArtifactHeader;
  const keys = { written: 0, leftOut: 0 };
  try {
    const { header: newestKeyring, erased } = await readErased(input.sources.keyring());
    imported = await importData(input.sources.data(), {
      db: target.db,
      fileStore: input.fileStore,
      erased,
      now: input.now,
      // The newest keyring artifact holds every erasure record, those made since the backup too.
      skipTables: FROM_KEYRING,
      prepare: (header) => prepareSchema(target, header),
      writingFile: (key) => files.push(key),
      ...(input.progress ? { progress: input.progress } : {}),
    });
    const accounts = new Set(
      (await target.db.selectFrom('accounts').select('id').execute()).map((account) => account.id),
    );
    await readErased(input.sources.keyring(), {
      rows: async (table, columns, rows) => {
        const accountAt = columns.indexOf('account_id');
        const kept = rows.filter((row) => {
          const accountId = row[accountAt];
          // Keys of the installation, and of the accounts restored; records of erasure, all of them.
          const keep =
            FROM_KEYRING.includes(table) ||
            accountId === null ||
            (typeof accountId === 'string' && accounts.has(accountId));
          if (table === 'keyring') keys[keep ? 'written' : 'leftOut'] += 1;
          return keep;
        });
        if (kept.length === 0) return;
        await target.db.transaction().execute(async (trx) => {
          for (let at = 0; at < kept.length; at += 500) {
            const batch = kept.slice(at, at + 500).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
            // One of KEYRING_TABLES, checked by readErased; the columns are the artifact's.
            await trx
              .insertInto(table as keyof Schema)
              .values(batch)
              .execute();
          }
        });
      },
    });
    keyringHeader = newestKeyring;
  } catch (error) {
    // The artifacts are checked as they are read, to their last chunk: what was written before a
    // damaged or missing part goes again, and the target is as empty as it was.
    await emptyTarget(target, { fileStore: input.fileStore, files });
    throw error;
  }
  const mismatches = await readBack(target, imported);
  if (input.migrate !== false) await migrateToLatest(target);
  return { ...imported, keyringHeader, keys, mismatches };
}

/**
 * The tables whose rows, read back from `target`, are not what the backup held (its manifest, counted
 * when it was made) less what the restore left out, with the rows it changed as changed. The erasure
 * records are left out: the restore takes them from the newest keyring artifact.
 */
async function readBack(target: Database, imported: ImportResult): Promise<string[]> {
  const mismatches: string[] = [];
  for (const [table, counted] of Object.entries(imported.manifest.tables)) {
    if (FROM_KEYRING.includes(table)) continue;
    const columns = imported.columns[table] ?? [];
    const checksum = new RowChecksum();
    if (columns.length > 0) {
      for await (const row of tableRows(target, table, columns)) checksum.add(row);
    }
    const leftOut = imported.leftOut[table] ?? { rows: 0, checksum: EMPTY };
    const changed = imported.changed[table] ?? { before: EMPTY, after: EMPTY };
    const expected = addChecksums(
      subtractChecksums(subtractChecksums(counted.checksum, leftOut.checksum), changed.before),
      changed.after,
    );
    const rows = imported.written[table]?.rows ?? 0;
    if (rows + leftOut.rows !== counted.rows || checksum.count !== rows || checksum.value !== expected) {
      mismatches.push(table);
    }
  }
  return mismatches;
}

const EMPTY = new RowChecksum().value;

/** Deletes every row a failed restore wrote, children first, and the files it wrote. */
async function emptyTarget(target: Database, input: { fileStore: FileStore; files: readonly string[] }): Promise<void> {
  for (const table of [...KEYRING_TABLES, ...[...DATA_TABLES].reverse()]) {
    await target.db
      .deleteFrom(table as keyof Schema)
      .execute()
      .catch(() => undefined);
  }
  for (const key of input.files) await input.fileStore.delete(key).catch(() => undefined);
}

/** Throws RestoreTargetNotEmptyError when any table of the target holds a row. */
async function assertEmpty(target: Database): Promise<void> {
  if ((await appliedMigrations(target)).length === 0) return;
  for (const table of [...DATA_TABLES, ...KEYRING_TABLES]) {
    const row = await target.db
      .selectFrom(table as keyof Schema)
      .select(sql<number>`1`.as('one'))
      .limit(1)
      .executeTakeFirst()
      .catch(() => undefined);
    if (row) throw new RestoreTargetNotEmptyError(`table ${table} has rows`);
  }
}

/**
 * Brings an empty target to the schema of the backup: its migrations must be the first ones of this
 * version's, and the target must not be past them.
 */
async function prepareSchema(target: Database, header: ArtifactHeader): Promise<void> {
  const known = await knownMigrations(target.dialect);
  const last = header.migrations.at(-1);
  if (!last || header.migrations.some((name, at) => known[at] !== name)) {
    throw new BackupVersionError(
      `The backup ${header.id} was made by a version whose schema this one does not know (its last migration: ${last ?? 'none'}); restore it with that version or a newer one`,
    );
  }
  const applied = await appliedMigrations(target);
  if (applied.length > header.migrations.length) {
    throw new RestoreTargetNotEmptyError(
      `its schema is newer than the backup's (${applied.at(-1)}); restore into a database that was never migrated`,
    );
  }
  await migrateTo(target, last);
}
