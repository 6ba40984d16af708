import { AttachmentSentDto, AttachmentUploadQuery } from '@plauder/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../context.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { assertAccountActive } from '../../domain/accounts/terminate-account.js';
import { operatorAuthor } from '../../domain/attachments/operator-author.js';
import { readAttachment, type OpenedAttachment } from '../../domain/attachments/read-attachment.js';
import { sendAttachment, type SentAttachment } from '../../domain/attachments/send-attachment.js';
import { AppError } from '../../domain/errors.js';
import { authenticateVisitor } from '../../domain/visitors/start-visitor-session.js';
import { principalOf } from '../auth.js';
import type { PublicLimits } from '../public-limits.js';
import type { App } from '../server.js';

declare module 'fastify' {
  interface FastifyRequest {
    visitor?: VisitorTokenClaims;
  }
}

const ConversationParams = z.object({ conversationId: z.string().uuid() });
const AttachmentParams = z.object({ attachmentId: z.string().uuid() });
// The raw file, as the parser below hands it over; `format: binary` tells OpenAPI readers the same.
const RawFile = z.instanceof(Buffer).meta({ type: 'string', format: 'binary', description: 'the file itself' });

const FILE_MEDIA_TYPE = 'application/octet-stream';
// A downloaded file runs nothing and loads nothing, even when opened on its own.
const DOWNLOAD_CSP = "sandbox; default-src 'none'";

/**
 * Takes the raw file as the body of this plugin's routes: a Buffer of at most MAX_ATTACHMENT_BYTES.
 * The route sets the same limit, which is the one Fastify applies and names in a 413.
 */
function acceptRawFiles(scope: App, ctx: Context): void {
  scope.addContentTypeParser(
    FILE_MEDIA_TYPE,
    { parseAs: 'buffer', bodyLimit: ctx.config.maxAttachmentBytes },
    (_request, body, done) => done(null, body),
  );
}

/** Refuses any other body type before it is read, with a message that names the right one. */
async function requireRawFile(request: FastifyRequest): Promise<void> {
  const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FILE_MEDIA_TYPE) {
    throw new AppError(
      'unsupported_media_type',
      `Send the file itself as the body, with content-type: ${FILE_MEDIA_TYPE}`,
    );
  }
}

/** The route options every upload shares: body limit, body type check, query and answers. */
function uploadOptions(ctx: Context, summary: string, security: Record<string, string[]>[]) {
  return {
    bodyLimit: ctx.config.maxAttachmentBytes,
    preParsing: requireRawFile,
    schema: {
      tags: ['attachments'],
      summary,
      security,
      consumes: [FILE_MEDIA_TYPE],
      body: RawFile,
      params: ConversationParams,
      querystring: AttachmentUploadQuery,
      response: { 200: AttachmentSentDto, 201: AttachmentSentDto },
    },
  };
}

/** The route options every download shares: its own CSP, which runs after the app-wide one. */
function downloadOptions(summary: string, security: Record<string, string[]>[]) {
  return {
    onSend: async (_request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('content-security-policy', DOWNLOAD_CSP);
    },
    schema: { tags: ['attachments'], summary, security, params: AttachmentParams },
  };
}

/** A new file answers 201, a resend 200, both with the message and the file. */
function presentSent(reply: FastifyReply, sent: SentAttachment) {
  const { messageId, seq, attachment } = sent;
  return reply.status(sent.duplicate ? 200 : 201).send({ messageId, seq, attachment });
}

/**
 * Sends an opened file. Images show inline; everything else downloads under its name. With nosniff
 * and a sandboxing CSP, a file is never run as a page, whatever its bytes look like.
 */
function presentFile(reply: FastifyReply, file: OpenedAttachment) {
  const { contentType } = file.attachment;
  // The sniff proved the text UTF-8; saying so keeps the browser from guessing another charset.
  const type = contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType;
  const disposition = contentType.startsWith('image/')
    ? 'inline'
    : `attachment; filename*=UTF-8''${encodeRfc5987(file.fileName)}`;
  return reply
    .header('content-type', type)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, no-store')
    .header('content-disposition', disposition)
    .send(file.data);
}

/** Percent-encodes a header parameter value (RFC 5987): encodeURIComponent leaves ' ( ) * as they are. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Attachments for operators and API tokens (write scope to upload). Register inside the authenticated
 * scope: its hook has resolved the principal (and checked CSRF) before the body is read.
 */
export async function attachmentRoutes(app: App, ctx: Context): Promise<void> {
  await app.register(async (scope: App) => {
    acceptRawFiles(scope, ctx);
    scope.post(
      '/api/v1/conversations/:conversationId/attachments',
      uploadOptions(ctx, 'Send a file (image, PDF, plain text) as a message of a conversation', [
        { session: [] },
        { token: [] },
      ]),
      async (request, reply) =>
        presentSent(
          reply,
          await sendAttachment(ctx, {
            author: await operatorAuthor(ctx, principalOf(request)),
            conversationId: request.params.conversationId,
            ...request.query,
            data: request.body,
          }),
        ),
    );
    scope.get(
      '/api/v1/attachments/:attachmentId',
      downloadOptions('Download a file of a conversation of the account', [{ session: [] }, { token: [] }]),
      async (request, reply) =>
        presentFile(
          reply,
          await readAttachment(ctx, { reader: principalOf(request), attachmentId: request.params.attachmentId }),
        ),
    );
  });
}

/** The visitor of a visitor route; the scope's hook has set it. */
function visitorOf(request: FastifyRequest): { kind: 'visitor'; accountId: string; visitorId: string } {
  if (!request.visitor) throw new AppError('unauthenticated', 'Send the visitor token');
  return { kind: 'visitor', accountId: request.visitor.accountId, visitorId: request.visitor.visitorId };
}

/**
 * Attachments for the chat window: authenticated by the visitor token (`Authorization: Bearer …`), not
 * a cookie, so there is nothing for another site to forge. A visitor reaches only its own conversations.
 * In a terminated account the window still downloads, and an upload answers `account_terminated`.
 */
export async function visitorAttachmentRoutes(app: App, ctx: Context, limits: PublicLimits): Promise<void> {
  await app.register(async (scope: App) => {
    // onRequest: a stranger gets 401 before the body is read.
    scope.addHook('onRequest', async (request) => {
      const match = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!match?.[1]) {
        throw new AppError(
          'unauthenticated',
          'Send the visitor token from POST /api/v1/visitor-sessions as "Authorization: Bearer <token>"',
        );
      }
      request.visitor = await authenticateVisitor(ctx, match[1]);
    });
    acceptRawFiles(scope, ctx);
    scope.post(
      '/api/v1/visitor/conversations/:conversationId/attachments',
      {
        ...uploadOptions(ctx, "Send a file (image, PDF, plain text) in one of the visitor's conversations", [
          { token: [] },
        ]),
        // Before the body is read: a refused upload costs no transfer. sendAttachment checks the
        // account again; this early check only spares a terminated account's window the upload.
        preParsing: [
          requireRawFile,
          async (request: FastifyRequest) =>
            assertAccountActive(ctx, { accountId: visitorOf(request).accountId, refused: 'visitor' }),
          async (request: FastifyRequest) => limits.takeUpload(request, visitorOf(request).visitorId),
        ],
      },
      async (request, reply) =>
        presentSent(
          reply,
          await sendAttachment(ctx, {
            author: visitorOf(request),
            conversationId: request.params.conversationId,
            ...request.query,
            data: request.body,
          }),
        ),
    );
    scope.get(
      '/api/v1/visitor/attachments/:attachmentId',
      downloadOptions("Download a file of one of the visitor's conversations", [{ token: [] }]),
      async (request, reply) =>
        presentFile(
          reply,
          await readAttachment(ctx, { reader: visitorOf(request), attachmentId: request.params.attachmentId }),
        ),
    );
  });
}
