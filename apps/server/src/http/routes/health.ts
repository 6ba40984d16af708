import { z } from 'zod';
import type { Context } from '../../context.js';
import { AppError } from '../../domain/errors.js';
import { pingDatabase } from '../../storage/database.js';
import type { App } from '../server.js';

const Health = z.object({ status: z.literal('ok') });

/** `/healthz`: the process answers. `/readyz`: it can also reach its database. */
export function healthRoutes(app: App, ctx: Context): void {
  app.get('/healthz', { schema: { hide: true, response: { 200: Health } } }, () => ({ status: 'ok' as const }));
  app.get('/readyz', { schema: { hide: true, response: { 200: Health } } }, async () => {
    try {
      await pingDatabase(ctx.database.db);
    } catch (cause) {
      ctx.logger.error({ err: cause }, 'Readiness check cannot reach the database');
      throw new AppError('unavailable', 'The database cannot be reached');
    }
    return { status: 'ok' as const };
  });
}
