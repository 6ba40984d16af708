import type { Command } from 'commander';
import { createFileStore } from '../../adapters/file-store/create-file-store.js';
import { backupKey } from '../../backup/artifact.js';
import { createBackupTarget } from '../../backup/create-backup-target.js';
import { LocalDirectoryTarget } from '../../backup/local-directory-target.js';
import {
  createBackup,
  findBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
  type BackupInfo,
  type BackupVerification,
  type ListedBackup,
} from '../../backup/backups.js';
import { backupAndVerify } from '../../backup/verify-while-writing.js';
import type { BackupTarget } from '../../backup/targets.js';
import { loadConfig, type Config } from '../../config/config.js';
import { loadMasterKey } from '../../crypto/master-key.js';
import { openDatabase } from '../../storage/database.js';
import { jsonOption, withContext } from '../command-context.js';
import { createOutput, type Output } from '../output.js';
import { createProgress } from '../progress.js';

/** The exit status of a backup verification that failed. */
export const VERIFY_FAILED_EXIT_CODE = 3;

/** The target a command names with --to or --from, else the configured one. */
async function targetOf(config: Config, directory: string | undefined): Promise<BackupTarget> {
  return directory === undefined ? createBackupTarget(config) : new LocalDirectoryTarget(directory);
}

async function withTarget<T>(
  config: Config,
  directory: string | undefined,
  work: (target: BackupTarget) => Promise<T>,
) {
  const target = await targetOf(config, directory);
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}

function ago(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours < 1) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${Math.round(hours / 24)} days`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function verificationText(verification: BackupVerification | undefined): string {
  if (!verification) return 'not verified';
  return verification.ok ? 'verified' : `verification failed: ${verification.problems.join('; ')}`;
}

function sayVerification(out: Output, verification: BackupVerification): void {
  if (verification.ok) {
    out.say(`restored into a scratch database: ${verification.rows} rows as backed up (${verification.durationMs} ms)`);
  } else for (const problem of verification.problems) out.say(`problem: ${problem}`);
}

/** `plauder backup`, `backup list`, `backup verify` and `plauder restore` (docs/OPERATIONS.md, Backups). */
export function registerBackupCommands(cli: Command): void {
  const backup = cli
    .command('backup')
    .description('back the database and the files up, encrypted, then prove the backup by restoring it')
    .option('--to <dir>', 'a directory to keep it in (default: the configured target)')
    .option('--no-verify', 'skip the restore into a scratch database that proves it')
    .addOption(jsonOption())
    .action(async (options: { to?: string; verify: boolean; json?: boolean }) => {
      const json = Boolean(options.json);
      const out = createOutput(json);
      const result = await withContext((ctx, config) =>
        withTarget(config, options.to, async (target) => {
          const key = ctx.keyring.backupKey();
          const backingUp = createProgress({ label: 'Backing up', unit: 'rows', json });
          const backup = {
            database: ctx.database,
            fileStore: ctx.fileStore,
            key,
            target,
            now: ctx.clock.now(),
            progress: (rows: number, total: number) => backingUp.update(rows, total),
          };
          const written = (info: BackupInfo) => {
            backingUp.finish();
            out.say(`backup ${info.id} in ${target.describe()}: ${megabytes(info.dataBytes)}`);
          };
          if (!options.verify) {
            const info = await createBackup(backup).finally(() => backingUp.finish());
            written(info);
            return { ...info, verification: undefined };
          }
          // Proved as it is written: the verification's progress shows once the backup is written.
          const checking = createProgress({ label: 'Verifying', unit: 'rows', json });
          let backedUp = false;
          let restored = 0;
          const { info, verification } = await backupAndVerify({
            ...backup,
            written: (info) => {
              written(info);
              backedUp = true;
              checking.update(restored, null);
            },
            verifyProgress: (rows) => {
              restored = rows;
              if (backedUp) checking.update(rows, null);
            },
          }).finally(() => {
            backingUp.finish();
            checking.finish();
          });
          sayVerification(out, verification);
          return { ...info, verification };
        }),
      );
      out.result(
        json
          ? result
          : {
              id: result.id,
              size: megabytes(result.dataBytes + result.keyringBytes),
              rows: Object.values(result.rows).reduce((sum, n) => sum + n, 0),
              files: result.files.count,
              verification: verificationText(result.verification),
            },
      );
      if (result.verification && !result.verification.ok) process.exitCode = VERIFY_FAILED_EXIT_CODE;
    });

  backup
    .command('list')
    .description('the backups, newest first, with age, size and verification')
    .option('--from <dir>', 'a directory of backups (default: the configured target)')
    .addOption(jsonOption())
    .action(async (options: { from?: string; json?: boolean }) => {
      const config = loadConfig();
      const backups = await withTarget(config, options.from, listBackups);
      const out = createOutput(Boolean(options.json));
      if (options.json) {
        out.result({ backups });
        return;
      }
      const now = Date.now();
      if (backups.length === 0) out.say('no backups');
      for (const listed of backups) out.say(listLine(listed, now));
      out.result({ backups: backups.length });
    });

  backup
    .command('verify [backup]')
    .description('restore a backup (the newest by default) into a scratch database and compare it')
    .option('--from <dir>', 'a directory of backups (default: the configured target)')
    .addOption(jsonOption())
    .action(async (id: string | undefined, options: { from?: string; json?: boolean }) => {
      const json = Boolean(options.json);
      const out = createOutput(json);
      const config = loadConfig();
      const key = configuredBackupKey(config);
      const verification = await withTarget(config, options.from, async (target) => {
        const checking = createProgress({ label: 'Verifying', unit: 'rows', json });
        return verifyBackup({
          target,
          backup: await findBackup(target, id),
          key,
          now: Date.now(),
          progress: (rows) => checking.update(rows, null),
        }).finally(() => checking.finish());
      });
      sayVerification(out, verification);
      out.result(json ? { ...verification } : { id: verification.id, verification: verificationText(verification) });
      if (!verification.ok) process.exitCode = VERIFY_FAILED_EXIT_CODE;
    });

  cli
    .command('restore [backup]')
    .description('restore a backup (the newest by default) into the configured database, which must be empty')
    .option('--from <dir>', 'a directory of backups (default: the configured target)')
    .addOption(jsonOption())
    .action(async (id: string | undefined, options: { from?: string; json?: boolean }) => {
      const json = Boolean(options.json);
      const out = createOutput(json);
      const config = loadConfig();
      const key = configuredBackupKey(config);
      const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      const fileStore = await createFileStore(config);
      try {
        const report = await withTarget(config, options.from, async (target) => {
          const found = await findBackup(target, id);
          out.say(
            `restoring backup ${found.id} of ${new Date(found.createdAt).toISOString()} from ${target.describe()}`,
          );
          const progress = createProgress({ label: 'Restoring', unit: 'rows', json });
          const total = Object.values(found.rows).reduce((sum, n) => sum + n, 0);
          return restoreBackup({
            target,
            backup: found,
            key,
            database,
            fileStore,
            now: Date.now(),
            progress: (rows) => progress.update(rows, total),
          }).finally(() => progress.finish());
        });
        const erased = Object.values(report.leftOut).reduce((sum, left) => sum + left.erased, 0);
        const result = {
          id: report.header.id,
          rows: Object.values(report.written).reduce((sum, written) => sum + written.rows, 0),
          files: report.files.written,
          erasedSince: erased,
          expiredAddresses: report.expiredAddresses,
          keyring: report.keyringHeader.id,
        };
        if (report.mismatches.length > 0) {
          throw new Error(`The restored tables ${report.mismatches.join(', ')} do not read back what was written`);
        }
        out.result(result);
      } finally {
        await fileStore.close();
        await database.close();
      }
    });
}

/**
 * The backup key of the configured master key, for commands that read backups without a context:
 * a missing key file is an error, not a new key (a new one opens no backup).
 */
function configuredBackupKey(config: Config) {
  const master = loadMasterKey({
    configured: config.masterKey,
    embedded: config.embedded,
    dataDir: config.dataDir,
    generate: false,
  });
  return backupKey(master.key);
}

function listLine(listed: ListedBackup, now: number): string {
  return [
    listed.id,
    `${ago(now - listed.createdAt)} ago`.padEnd(12),
    megabytes(listed.dataBytes + listed.keyringBytes).padStart(10),
    verificationText(listed.verification),
  ].join('  ');
}
