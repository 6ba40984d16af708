import { ExportByEmailRequest } from '@plauder/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { exportContactByEmail } from '../../domain/exports/export-contact-by-email.js';
import { exportContact } from '../../domain/exports/export-contact.js';
import { exportVisitorData } from '../../domain/exports/export-visitor-data.js';
import type { SubjectExport } from '../../domain/exports/subject-export.js';
import { AppError } from '../../domain/errors.js';
import { authenticateVisitor } from '../../domain/visitors/start-visitor-session.js';
import { TokenBuckets, type TokenBucketOptions } from '../../realtime/token-bucket.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { IdParams } from './schemas.js';

/** Exports per visitor: 3 at once, then one a minute; each reads and zips all of their chats. */
export const EXPORT_LIMIT_PER_VISITOR: TokenBucketOptions = { capacity: 3, refillPerSecond: 1 / 60 };

const ARCHIVE_DESCRIPTION =
  'A zip (`application/zip`, streamed): `export.json` (ExportDocument) and every file of the conversations, decrypted, under `attachments/<conversationId>/`.';

/** Streams an export's zip as a download; it is personal data, so no cache keeps it. */
function presentArchive(reply: FastifyReply, exported: SubjectExport) {
  return reply
    .header('content-type', 'application/zip')
    .header('content-disposition', `attachment; filename="${exported.fileName}"`)
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .send(exported.archive);
}

/**
 * Subject access exports for the account (admins and owners; API tokens with an admin's role, either
 * scope, since an export changes nothing). Register inside the authenticated scope. Both routes keep
 * answering while the account is terminated and in its grace period.
 */
export function exportRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/contacts/:id/export',
    {
      // A HEAD would plan, audit and start an archive for nobody.
      exposeHeadRoute: false,
      schema: {
        tags: ['exports'],
        summary: 'Everything kept about a contact, as a zip (admin)',
        description: ARCHIVE_DESCRIPTION,
        params: IdParams,
      },
    },
    async (request, reply) =>
      presentArchive(reply, await exportContact(ctx, { by: principalOf(request), contactId: request.params.id })),
  );
  app.post(
    '/api/v1/exports',
    {
      // It changes nothing, and the email belongs in a body, not in a URL that proxies log.
      config: { readsOnly: true },
      schema: {
        tags: ['exports'],
        summary: 'Everything kept about the contact(s) with an email, as a zip (admin)',
        description: ARCHIVE_DESCRIPTION,
        body: ExportByEmailRequest,
      },
    },
    async (request, reply) =>
      presentArchive(reply, await exportContactByEmail(ctx, { by: principalOf(request), email: request.body.email })),
  );
}

/** The visitor token of a request (`Authorization: Bearer …`), checked; 401 without one. */
async function visitorOf(ctx: Context, request: FastifyRequest) {
  const match = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) {
    throw new AppError(
      'unauthenticated',
      'Send the visitor token from POST /api/v1/visitor-sessions as "Authorization: Bearer <token>"',
    );
  }
  return authenticateVisitor(ctx, match[1]);
}

/**
 * The chat window's "download my data": public, authenticated by the visitor token as the other
 * visitor routes are (a bearer header, never a cookie), limited per visitor in memory.
 */
export function visitorExportRoutes(app: App, ctx: Context): void {
  const limits = new TokenBuckets(EXPORT_LIMIT_PER_VISITOR, () => performance.now());
  app.get(
    '/api/v1/visitor/export',
    {
      exposeHeadRoute: false,
      schema: {
        tags: ['exports'],
        summary: "The visitor's own conversations and contact details, as a zip",
        description: `${ARCHIVE_DESCRIPTION} Internal notes are not in it.`,
        security: [{ token: [] }],
      },
    },
    async (request, reply) => {
      const visitor = await visitorOf(ctx, request);
      if (!limits.take(visitor.visitorId)) {
        throw new AppError('rate_limited', 'Too many exports for this visitor; try again in a minute', {
          retryAfterSeconds: Math.ceil(1 / EXPORT_LIMIT_PER_VISITOR.refillPerSecond),
        });
      }
      return presentArchive(reply, await exportVisitorData(ctx, { visitor }));
    },
  );
}
