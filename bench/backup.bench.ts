/**
 * A backup and its verification of an embedded installation with 1,000,000 messages (10,000
 * conversations of 100, written as the server writes them by bench/lib/bulk-delete-seed.ts): the
 * database read in one snapshot, compressed, sealed and written to a local directory, and restored
 * into a scratch database and compared. Reported in MB of the database file per second, the backup
 * alone and the backup proved as it is written (backupAndVerify), each next to a plain copy of the
 * same file (read, written, synced) in the same run. Results on stdout (DESIGN §6),
 * progress on stderr. Run with `npm run bench -- backup`.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { createBackup, verifyBackup } from '../apps/server/src/backup/backups.js';
import { backupAndVerify } from '../apps/server/src/backup/verify-while-writing.js';
import { LocalDirectoryTarget } from '../apps/server/src/backup/local-directory-target.js';
import { loadConfig } from '../apps/server/src/config/config.js';
import { createContext } from '../apps/server/src/context.js';
import { createAccount } from '../apps/server/src/domain/accounts/create-account.js';
import { SQLITE_FILE } from '../apps/server/src/storage/database.js';
import { progress, report } from './lib/report.js';

const BENCH = 'backup';
/** 10,000 conversations of 100 messages: 1,000,000; BACKUP_BENCH_CONVERSATIONS sets fewer for quicker runs. */
const CONVERSATIONS = Number(process.env.BACKUP_BENCH_CONVERSATIONS ?? 10_000);
const MESSAGES_EACH = 100;
const COPIES = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

const log = (message: string) => progress(BENCH, message);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** A plain copy of `file`: read, written and synced, as a backup's write is. Seconds. */
async function plainCopy(file: string, into: string): Promise<number> {
  const started = performance.now();
  await pipeline(createReadStream(file), createWriteStream(into));
  const fd = openSync(into, 'r+');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  rmSync(into);
  return seconds;
}

async function main(): Promise<void> {
  if (!Number.isInteger(CONVERSATIONS) || CONVERSATIONS < 1) {
    throw new Error(`BACKUP_BENCH_CONVERSATIONS must be a positive whole number, not ${CONVERSATIONS}`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-bench-backup-'));
  const backups = mkdtempSync(path.join(tmpdir(), 'plauder-bench-backups-'));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', BACKUP_TIME: 'off' };
  try {
    const setup = await createContext(loadConfig(env));
    try {
      await createAccount(setup, {
        name: 'Bench',
        plan: 'standard',
        owner: { email: 'owner@bench.test', displayName: 'Owner', password: 'bench-password-1234' },
        actor: { kind: 'cli', id: null },
      });
    } finally {
      await setup.close();
    }
    log(`seeding ${CONVERSATIONS} conversations of ${MESSAGES_EACH} messages (a few minutes) …`);
    const seeded = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/lib/bulk-delete-seed.ts',
        String(CONVERSATIONS),
        String(MESSAGES_EACH),
        String(DAY_MS),
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (seeded.status !== 0) throw new Error(`The seed failed (${seeded.signal ?? `exit code ${seeded.status}`})`);

    const ctx = await createContext(loadConfig(env));
    const target = new LocalDirectoryTarget(backups);
    try {
      // Everything in the database file, the WAL copied in and emptied: what a plain copy copies.
      if (!(await ctx.database.truncateWal?.())) throw new Error('The WAL could not be emptied before the copy');
      const file = path.join(dataDir, SQLITE_FILE);
      const megabytes = statSync(file).size / 1e6;
      const copies: number[] = [];
      for (let n = 0; n < COPIES; n++) copies.push(await plainCopy(file, path.join(backups, 'plain-copy.db')));
      const copyRate = megabytes / median(copies);
      log(
        `plain copy of ${megabytes.toFixed(0)} MB: ${median(copies).toFixed(2)} s median of ${COPIES}, ${copyRate.toFixed(0)} MB/s`,
      );

      const key = ctx.keyring.backupKey();
      const expected = CONVERSATIONS * MESSAGES_EACH;
      // The backup alone, then the backup proved as it is written (what `plauder backup` and the daily
      // job do), each a backup of its own.
      let started = performance.now();
      const info = await createBackup({
        database: ctx.database,
        fileStore: ctx.fileStore,
        key,
        target,
        now: Date.now(),
      });
      const backupSeconds = (performance.now() - started) / 1000;
      if (info.rows.messages !== expected)
        throw new Error(`The backup holds ${info.rows.messages} messages, not ${expected}`);
      log(`backup ${backupSeconds.toFixed(1)} s (${(info.dataBytes / 1e6).toFixed(0)} MB sealed)`);
      // For comparison: its verification from the target afterwards (what `plauder backup verify` does).
      started = performance.now();
      const afterwards = await verifyBackup({ target, backup: info, key, now: Date.now() });
      if (!afterwards.ok) throw new Error(`The backup did not verify: ${afterwards.problems.join('; ')}`);
      log(`its verification from the target afterwards ${((performance.now() - started) / 1000).toFixed(1)} s`);

      started = performance.now();
      const verified = await backupAndVerify({
        database: ctx.database,
        fileStore: ctx.fileStore,
        key,
        target,
        now: Date.now(),
      });
      const verifiedSeconds = (performance.now() - started) / 1000;
      const { verification } = verified;
      if (!verification.ok) throw new Error(`The backup did not verify: ${verification.problems.join('; ')}`);
      if (verified.info.rows.messages !== expected) {
        throw new Error(`The verified backup holds ${verified.info.rows.messages} messages, not ${expected}`);
      }
      log(
        `backup proved as it was written ${verifiedSeconds.toFixed(1)} s (the restore into a scratch database ` +
          `${(verification.durationMs / 1000).toFixed(1)} s, ${verification.rows} rows read back)`,
      );
      report({
        bench: BENCH,
        metric: 'backup_mb_per_s',
        unit: 'MB/s',
        value: megabytes / backupSeconds,
        baseline: copyRate,
        target: 'ratio >= 0.05',
      });
      report({
        bench: BENCH,
        metric: 'backup_and_verify_mb_per_s',
        unit: 'MB/s',
        value: megabytes / verifiedSeconds,
        baseline: copyRate,
        target: 'ratio >= 0.05',
      });
    } finally {
      await target.close();
      await ctx.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(backups, { recursive: true, force: true });
  }
}

await main();
