import { z } from 'zod';
import type { Context } from '../../context.js';
import { AppError } from '../../domain/errors.js';
import { backupHealth, type BackupHealth } from '../../backup/backup-health.js';
import { backupStatus } from '../../storage/backup-status-repository.js';
import { pingDatabase } from '../../storage/database.js';
import type { App } from '../server.js';

const Health = z.object({ status: z.literal('ok') });

const Readiness = Health.extend({
  backup: z.object({
    newestVerifiedAt: z.number().nullable(),
    ageHours: z.number().nullable(),
    stale: z.boolean(),
    lastFailed: z.boolean(),
  }),
  warnings: z.array(z.string()),
});

/**
 * `/healthz`: the process answers. `/readyz`: it can also reach its database; it says how old the
 * newest verified backup is, and warns past 26 hours (a warning, not a failure: the node serves).
 */
export function healthRoutes(app: App, ctx: Context): void {
  app.get('/healthz', { schema: { hide: true, response: { 200: Health } } }, () => ({ status: 'ok' as const }));
  app.get('/readyz', { schema: { hide: true, response: { 200: Readiness } } }, async () => {
    let backup: BackupHealth;
    try {
      await pingDatabase(ctx.database.db);
      backup = backupHealth(await backupStatus(ctx.database.db), ctx.clock.now());
    } catch (cause) {
      ctx.logger.error({ err: cause }, 'Readiness check cannot reach the database');
      throw new AppError('unavailable', 'The database cannot be reached');
    }
    const warnings: string[] = [];
    if (backup.ageHours === null) warnings.push('No backup has been verified yet');
    else if (backup.stale) warnings.push(`The newest verified backup is ${backup.ageHours} hours old`);
    if (backup.lastFailed) warnings.push('The last backup did not restore as it was made');
    return { status: 'ok' as const, backup, warnings };
  });
}
