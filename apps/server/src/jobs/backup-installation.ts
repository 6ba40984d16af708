import { z } from 'zod';
import { rotateBackups } from '../backup/backups.js';
import { createBackupTarget } from '../backup/create-backup-target.js';
import { backupAndVerify } from '../backup/verify-while-writing.js';
import { recordBackup } from '../storage/backup-status-repository.js';
import { defineJob } from './job.js';

/** Progress is saved at most this often: each save is a write to the jobs table. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * The daily backup (P8): backs the installation up to its target, proves the backup by restoring it
 * into a scratch database as it is written (backupAndVerify), records the outcome (the readiness check and the console show the age of
 * the newest verified one), and removes what rotation no longer keeps. At BACKUP_TIME, UTC. A killed
 * run starts over with a new backup; the pieces of the one it left are removed by a later rotation.
 */
export const backupInstallationJob = defineJob({
  name: 'backup-installation',
  payload: z.object({}),
  schedule: (config) =>
    config.backup.timeUtc === undefined
      ? undefined
      : `${config.backup.timeUtc.minute} ${config.backup.timeUtc.hour} * * *`,
  unit: 'rows',
  maxAttempts: 3,
  async run(ctx, job) {
    const target = await createBackupTarget(ctx.config);
    try {
      const key = ctx.keyring.backupKey();
      let savedAt = 0;
      const { info, verification } = await backupAndVerify({
        database: ctx.database,
        fileStore: ctx.fileStore,
        key,
        target,
        now: ctx.clock.now(),
        progress: (rows, total) => {
          if (Date.now() - savedAt < PROGRESS_INTERVAL_MS) return;
          savedAt = Date.now();
          void job.progress({ done: rows, total }).catch(() => undefined);
        },
      });
      await recordBackup(ctx.database.db, { info, verification });
      if (!verification.ok) {
        ctx.logger.error(
          { backupId: info.id, problems: verification.problems },
          'A backup did not restore as it was made; it is kept, and rotation keeps the newest verified one',
        );
      }
      const removed = await rotateBackups(target, {
        now: ctx.clock.now(),
        keep: ctx.config.backup.keep,
        keyringDays: ctx.config.backup.keyringDays,
      });
      return {
        id: info.id,
        bytes: info.dataBytes + info.keyringBytes,
        verified: verification.ok ? 1 : 0,
        removedBackups: removed.backups + removed.unfinished,
        removedKeyrings: removed.keyrings,
      };
    } finally {
      await target.close();
    }
  },
});
