import { CreateWidgetRequest, JobDto, UpdateWidgetRequest, WidgetDto } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { createWidget } from '../../domain/widgets/create-widget.js';
import { deleteWidget } from '../../domain/widgets/delete-widget.js';
import { getWidget } from '../../domain/widgets/get-widget.js';
import { listWidgets } from '../../domain/widgets/list-widgets.js';
import { updateWidget } from '../../domain/widgets/update-widget.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

const WidgetParams = z.object({ widgetId: z.string().uuid() });

/** The widgets of the caller's account: every role reads them, admins and owners add, change and delete them. */
export function widgetRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/widgets',
    {
      schema: {
        tags: ['widgets'],
        summary: "The account's widgets with their settings, oldest first",
        response: { 200: z.object({ widgets: z.array(WidgetDto) }) },
      },
    },
    async (request) => ({ widgets: await listWidgets(ctx, { by: principalOf(request) }) }),
  );
  app.post(
    '/api/v1/widgets',
    {
      schema: {
        tags: ['widgets'],
        summary: 'Add a widget with a new public key; settings not given follow the defaults (admin)',
        body: CreateWidgetRequest,
        response: { 201: WidgetDto },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createWidget(ctx, { by: principalOf(request), ...request.body })),
  );
  app.get(
    '/api/v1/widgets/:widgetId',
    {
      schema: {
        tags: ['widgets'],
        summary: 'One widget with its settings',
        params: WidgetParams,
        response: { 200: WidgetDto },
      },
    },
    async (request) => getWidget(ctx, { by: principalOf(request), widgetId: request.params.widgetId }),
  );
  app.patch(
    '/api/v1/widgets/:widgetId',
    {
      schema: {
        tags: ['widgets'],
        summary: 'Rename a widget or change its settings, merged over the stored ones (admin)',
        params: WidgetParams,
        body: UpdateWidgetRequest,
        response: { 200: WidgetDto },
      },
    },
    async (request) =>
      updateWidget(ctx, { by: principalOf(request), widgetId: request.params.widgetId, ...request.body }),
  );
  app.delete(
    '/api/v1/widgets/:widgetId',
    {
      schema: {
        tags: ['widgets'],
        summary:
          'Delete a widget: it stops serving at once, and a job erases its conversations with their messages, files and keys, then removes it (admin)',
        params: WidgetParams,
        response: { 202: JobDto },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await deleteWidget(ctx, { by: principalOf(request), widgetId: request.params.widgetId })),
  );
}
