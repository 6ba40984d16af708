import { z } from 'zod';

/** How the installation's backups stand: the age of the newest one a restore proved (docs/BACKUPS.md). */
export const BackupHealthDto = z.object({
  /** When the newest verified backup was made, UTC epoch milliseconds; null before the first. */
  newestVerifiedAt: z.number().nullable(),
  /** Its age in whole hours; null before the first. */
  ageHours: z.number().int().nullable(),
  /** True when there is none, or it is older than `staleAfterHours`. */
  stale: z.boolean(),
  /** Whether the last backup taken failed its verification. */
  lastFailed: z.boolean(),
  staleAfterHours: z.number().int(),
});
/** How the installation's backups stand. */
export type BackupHealthDto = z.infer<typeof BackupHealthDto>;
