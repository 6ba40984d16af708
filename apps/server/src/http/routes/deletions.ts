import { DeletionPreviewDto, DeletionPreviewRequest, JobDto, StartDeletionRequest } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { previewDeletion } from '../../domain/deletions/preview-deletion.js';
import { startDeletion } from '../../domain/deletions/start-deletion.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

/**
 * Bulk deletes of the caller's account (admin and owner; API tokens with write scope act as admin):
 * a dry-run count, and a start that answers the job to follow at /api/v1/jobs/:id.
 */
export function deletionRoutes(app: App, ctx: Context): void {
  app.post(
    '/api/v1/deletions/preview',
    {
      // A count in a body: read-only tokens may ask it, as they may search.
      config: { readsOnly: true },
      schema: {
        tags: ['deletions'],
        summary: 'How many conversations and messages a bulk delete with this filter would erase now (admin)',
        body: DeletionPreviewRequest,
        response: { 200: DeletionPreviewDto },
      },
    },
    async (request) => previewDeletion(ctx, { by: principalOf(request), filter: request.body.filter }),
  );
  app.post(
    '/api/v1/deletions',
    {
      schema: {
        tags: ['deletions'],
        summary: 'Start erasing the conversations a filter matches, with their messages, files and keys (admin)',
        body: StartDeletionRequest,
        response: { 202: JobDto },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await startDeletion(ctx, { by: principalOf(request), filter: request.body.filter })),
  );
  app.delete(
    // Named as the widget routes name it: DELETE /api/v1/widgets/:widgetId shares this route's first part.
    '/api/v1/widgets/:widgetId/conversations',
    {
      schema: {
        tags: ['deletions'],
        summary: 'Start erasing every conversation of a widget, with its messages, files and keys (admin)',
        params: z.object({ widgetId: z.string().uuid() }),
        response: { 202: JobDto },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await startDeletion(ctx, { by: principalOf(request), filter: { widgetId: request.params.widgetId } })),
  );
}
