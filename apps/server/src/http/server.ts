import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Context } from '../context.js';
import { attachGateway, type Gateway } from '../realtime/gateway.js';
import { resolvePrincipal } from './auth.js';
import { truncateIp } from './client-address.js';
import { registerErrorHandling } from './errors.js';
import { accountRoutes } from './routes/account.js';
import { functionRoutes } from './routes/functions.js';
import { deliveryRoutes } from './routes/webhooks.js';
import { reportRoutes } from './routes/reports.js';
import { backupRoutes } from './routes/backups.js';
import { privacyReportRoutes } from './routes/privacy-report.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { attachmentRoutes, visitorAttachmentRoutes } from './routes/attachments.js';
import { authRoutes, publicAuthRoutes } from './routes/auth.js';
import { cannedResponseRoutes } from './routes/canned-responses.js';
import { consoleRoutes } from './routes/console.js';
import { contactRoutes } from './routes/contacts.js';
import { conversationRoutes } from './routes/conversations.js';
import { exportRoutes, visitorExportRoutes } from './routes/exports.js';
import { widgetRoutes } from './routes/widgets.js';
import { healthRoutes } from './routes/health.js';
import { homeRoutes } from './routes/home.js';
import { invitationRoutes, publicInvitationRoutes } from './routes/invitations.js';
import { operatorRoutes } from './routes/operators.js';
import { jobRoutes } from './routes/jobs.js';
import { searchRoutes } from './routes/search.js';
import { deletionRoutes } from './routes/deletions.js';
import { visitorSessionRoutes } from './routes/visitor-sessions.js';
import { WIDGET_DELIVERY_PREFIX, widgetDeliveryRoutes } from './routes/widget-delivery.js';
import { clientAddressOf, PublicLimits } from './public-limits.js';
import { registerSecurityHeaders } from './security-headers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The node's socket endpoints. */
    gateway: Gateway;
  }
}

/** The Fastify instance with zod schemas as its type provider. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Builds the HTTP server (not yet listening): REST API, OpenAPI docs, health, start page. */
export async function buildServer(ctx: Context): Promise<App> {
  const { config } = ctx;
  const https = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : null;
  const secure = https !== null || config.publicUrl.startsWith('https:');
  // Typed as the plain-HTTP instance: routes never touch the raw server, which is the only difference.
  const app = Fastify({
    loggerInstance: ctx.logger,
    // Fastify's own request lines would carry the full client IP; our onResponse hook logs a truncated one.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    ...(https ? { https } : {}),
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;

  // Public endpoints: limited per client address (hashed) in memory, since visitor tokens are free.
  const publicLimits = new PublicLimits({
    visitorSessionsPerMinute: config.visitorSessionsPerMinute,
    socketUpgradesPerMinute: config.socketUpgradesPerMinute,
  });
  // The real-time role shares the HTTP server: sockets arrive as upgrade requests on /ws/v1/….
  const gateway = attachGateway(app.server, ctx, {
    admitUpgrade: (request) => publicLimits.takeSocketUpgrade(clientAddressOf(request, config.trustProxy)),
    clientAddressOf: (request) => clientAddressOf(request, config.trustProxy),
  });
  app.decorate('gateway', gateway);
  // preClose: sockets drain while the HTTP server still runs, before the context closes after it.
  app.addHook('preClose', async () => gateway.close());

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API takes JSON only. Fastify's default text/plain parser would hand routes a string and answer
  // "expected object" instead of 415, and text/plain is what cross-site forms may send without preflight.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  registerSecurityHeaders(app, { https: secure });

  // One line per request, with a truncated client address: the full IP is never logged, and for the
  // widget's CDN-ready files (fetched on every page view, before any interaction) none at all.
  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    request.log.info(
      {
        method: request.method,
        path,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...(path.startsWith(WIDGET_DELIVERY_PREFIX) ? {} : { client: truncateIp(request.ip) }),
      },
      'request',
    );
  });

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Plauder API', version: '1', description: 'REST API of a Plauder installation' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'plauder_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  healthRoutes(app, ctx);
  homeRoutes(app, ctx);
  consoleRoutes(app);
  publicAuthRoutes(app, ctx, { secureCookies: secure });
  publicInvitationRoutes(app, ctx, { secureCookies: secure });
  visitorSessionRoutes(app, ctx, publicLimits);
  visitorExportRoutes(app, ctx);
  widgetDeliveryRoutes(app, ctx);
  await visitorAttachmentRoutes(app, ctx, publicLimits);

  await app.register(async (scope: App) => {
    // onRequest: who asks (and the CSRF token) is checked before the body is read or validated, so a
    // stranger gets 401 and a forged write 403, never a parser or validation answer.
    scope.addHook('onRequest', async (request) => {
      request.principal = await resolvePrincipal(ctx, request);
    });
    authRoutes(scope, ctx, { secureCookies: secure });
    operatorRoutes(scope, ctx);
    invitationRoutes(scope, ctx);
    contactRoutes(scope, ctx);
    apiTokenRoutes(scope, ctx);
    accountRoutes(scope, ctx);
    functionRoutes(scope, ctx);
    deliveryRoutes(scope, ctx);
    cannedResponseRoutes(scope, ctx);
    conversationRoutes(scope, ctx);
    widgetRoutes(scope, ctx);
    searchRoutes(scope, ctx);
    deletionRoutes(scope, ctx);
    exportRoutes(scope, ctx);
    jobRoutes(scope, ctx);
    reportRoutes(scope, ctx);
    backupRoutes(scope, ctx);
    privacyReportRoutes(scope, ctx);
    await attachmentRoutes(scope, ctx);
  });
  return app;
}
