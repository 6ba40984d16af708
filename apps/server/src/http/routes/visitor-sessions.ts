import { VisitorSessionDto, VisitorSessionRequest } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { startVisitorSession } from '../../domain/visitors/start-visitor-session.js';
import type { PublicLimits } from '../public-limits.js';
import type { App } from '../server.js';

/** Visitor sessions: the chat window's way in, once the visitor interacts. Public. */
export function visitorSessionRoutes(app: App, ctx: Context, limits: PublicLimits): void {
  app.post(
    '/api/v1/visitor-sessions',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Start a visitor session for a widget: a signed, expiring token for the visitor socket',
        security: [],
        body: VisitorSessionRequest,
        response: { 201: VisitorSessionDto },
      },
    },
    async (request, reply) => {
      limits.takeVisitorSession(request);
      return reply.status(201).send(await startVisitorSession(ctx, request.body));
    },
  );
}
