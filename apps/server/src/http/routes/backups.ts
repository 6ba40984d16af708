import { BackupHealthDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { BACKUP_STALE_AFTER_MS, backupHealth } from '../../backup/backup-health.js';
import { requireRole } from '../../domain/principal.js';
import { backupStatus } from '../../storage/backup-status-repository.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

/** How the installation's backups stand, for the console's Privacy page: admins and owners. */
export function backupRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/backups/health',
    {
      schema: {
        tags: ['backups'],
        summary: "The age of the installation's newest verified backup, and whether it is older than it should be",
        response: { 200: BackupHealthDto },
      },
    },
    async (request) => {
      requireRole(principalOf(request), 'admin');
      const health = backupHealth(await backupStatus(ctx.database.db), ctx.clock.now());
      return { ...health, staleAfterHours: BACKUP_STALE_AFTER_MS / 3_600_000 };
    },
  );
}
