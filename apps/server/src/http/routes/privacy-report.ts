import { PrivacyReportDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { getPrivacyReport } from '../../domain/privacy/privacy-report.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

/** The privacy report of the caller's account and its installation (promise P9), for admins and owners. */
export function privacyReportRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/privacy/report',
    {
      schema: {
        tags: ['privacy'],
        summary:
          "Whether the installation's and the account's privacy promises hold now, line by line, computed from the database and the configuration",
        response: { 200: PrivacyReportDto },
      },
    },
    async (request) => getPrivacyReport(ctx, { by: principalOf(request) }),
  );
}
