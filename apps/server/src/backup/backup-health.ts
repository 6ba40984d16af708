import type { BackupStatus } from '../storage/backup-status-repository.js';

/** Past this age of the newest verified backup, the readiness check and the console warn (a day and two hours). */
export const BACKUP_STALE_AFTER_MS = 26 * 60 * 60 * 1000;

/** What the readiness check and the console say of the backups. */
export interface BackupHealth {
  /** When the newest backup a restore proved was made; null before the first. */
  newestVerifiedAt: number | null;
  /** Its age in whole hours; null before the first. */
  ageHours: number | null;
  /** True when there is none, or it is older than BACKUP_STALE_AFTER_MS. */
  stale: boolean;
  /** Whether the last backup taken failed its verification. */
  lastFailed: boolean;
}

/** The backups' health at `now`. */
export function backupHealth(status: BackupStatus, now: number): BackupHealth {
  const newest = status.newestVerified;
  const age = newest === undefined ? undefined : now - newest.createdAt;
  return {
    newestVerifiedAt: newest?.createdAt ?? null,
    ageHours: age === undefined ? null : Math.floor(age / 3_600_000),
    stale: age === undefined || age > BACKUP_STALE_AFTER_MS,
    lastFailed: status.last !== undefined && !status.last.ok,
  };
}
