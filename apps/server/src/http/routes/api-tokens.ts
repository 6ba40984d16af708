import { ApiTokenDto, TokenScope } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { createApiToken, listTokens, revokeToken } from '../../domain/api-tokens/api-tokens.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { IdParams, NoContent } from './schemas.js';

const NewToken = z.object({
  name: z.string().trim().min(1).max(100),
  scope: TokenScope.default('read'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

/** API tokens of the caller's account (admins and owners). */
export function apiTokenRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/api-tokens',
    {
      schema: {
        tags: ['api-tokens'],
        summary: "The account's live API tokens",
        response: { 200: z.object({ tokens: z.array(ApiTokenDto) }) },
      },
    },
    async (request) => ({ tokens: await listTokens(ctx, { by: principalOf(request) }) }),
  );
  app.post(
    '/api/v1/api-tokens',
    {
      schema: {
        tags: ['api-tokens'],
        summary: 'Create an API token; its secret is shown only in this answer',
        body: NewToken,
        response: { 201: z.object({ token: ApiTokenDto, secret: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createApiToken(ctx, { by: principalOf(request), ...request.body })),
  );
  app.delete(
    '/api/v1/api-tokens/:id',
    {
      schema: {
        tags: ['api-tokens'],
        summary: 'Revoke an API token',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await revokeToken(ctx, { by: principalOf(request), tokenId: request.params.id });
      return reply.status(204).send(null);
    },
  );
}
