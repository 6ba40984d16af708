import { CannedResponseChanges, CannedResponseDto, NewCannedResponse } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { createCannedResponse } from '../../domain/canned-responses/create-canned-response.js';
import { deleteCannedResponse } from '../../domain/canned-responses/delete-canned-response.js';
import { listCannedResponses } from '../../domain/canned-responses/list-canned-responses.js';
import { updateCannedResponse } from '../../domain/canned-responses/update-canned-response.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { IdParams, NoContent } from './schemas.js';

/** The canned responses of the caller's account: every role reads them, admins and owners write them. */
export function cannedResponseRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/canned-responses',
    {
      schema: {
        tags: ['canned-responses'],
        summary: "The account's canned responses, in shortcut order",
        response: { 200: z.object({ cannedResponses: z.array(CannedResponseDto) }) },
      },
    },
    async (request) => ({ cannedResponses: await listCannedResponses(ctx, { by: principalOf(request) }) }),
  );
  app.post(
    '/api/v1/canned-responses',
    {
      schema: {
        tags: ['canned-responses'],
        summary: 'Add a canned response (admin); its shortcut is unique in the account',
        body: NewCannedResponse,
        response: { 201: CannedResponseDto },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createCannedResponse(ctx, { by: principalOf(request), ...request.body })),
  );
  app.patch(
    '/api/v1/canned-responses/:id',
    {
      schema: {
        tags: ['canned-responses'],
        summary: 'Change the given fields of a canned response (admin)',
        params: IdParams,
        body: CannedResponseChanges,
        response: { 200: CannedResponseDto },
      },
    },
    async (request) =>
      updateCannedResponse(ctx, { by: principalOf(request), cannedResponseId: request.params.id, ...request.body }),
  );
  app.delete(
    '/api/v1/canned-responses/:id',
    {
      schema: {
        tags: ['canned-responses'],
        summary: 'Delete a canned response (admin)',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await deleteCannedResponse(ctx, { by: principalOf(request), cannedResponseId: request.params.id });
      return reply.status(204).send(null);
    },
  );
}
