import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileStore } from '../adapters/file-store/create-file-store.js';
import { openDatabase } from '../storage/database.js';
import { restoreSnapshot, type RestoreReport, type RestoreSources } from './restore-snapshot.js';

/** What a restore into a scratch database found. */
export interface ScratchRestore {
  /** What did not come back as backed up; empty when all did. */
  problems: string[];
  /** Rows written. */
  rows: number;
  /** Rows left out because they were erased after the backup (with a newer keyring only). */
  erasedSince: number;
}

/**
 * Restores a backup's artifacts into a scratch SQLite database and file store in a private temporary
 * directory (removed after), as of the moment the backup was made, and says what did not come back as
 * the backup counted it. With the backup's own keyring (`ownKeyring`), nothing may be left out as erased.
 */
export async function restoreIntoScratch(input: {
  sources: RestoreSources;
  createdAt: number;
  ownKeyring: boolean;
  progress?: (rows: number) => void;
}): Promise<ScratchRestore> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'plauder-verify-'));
  const database = openDatabase({ databaseUrl: undefined, dataDir: scratch, scratch: true });
  const problems: string[] = [];
  let report: RestoreReport | undefined;
  let erasedSince = 0;
  try {
    const fileStore = await createFileStore({ dataDir: scratch, s3: undefined });
    try {
      report = await restoreSnapshot(database, {
        sources: input.sources,
        fileStore,
        // As of the backup's moment: nothing of it has expired yet.
        now: input.createdAt,
        migrate: false,
        ...(input.progress ? { progress: input.progress } : {}),
      });
    } finally {
      await fileStore.close();
    }
    for (const table of report.mismatches) problems.push(`table ${table} did not come back as it was backed up`);
    erasedSince = Object.values(report.leftOut).reduce((sum, left) => sum + left.erased, 0);
    if (input.ownKeyring && erasedSince > 0)
      problems.push(`${erasedSince} rows are erased in the backup's own keyring`);
    // Files of rows left out (erased since, with a newer keyring) are counted apart.
    const { written, dropped } = report.files;
    if (written + dropped !== report.manifest.files.count || (input.ownKeyring && dropped > 0)) {
      problems.push(`${written} of ${report.manifest.files.count} files came back`);
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    await database.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
  const rows = report ? Object.values(report.written).reduce((sum, written) => sum + written.rows, 0) : 0;
  return { problems, rows, erasedSince };
}
