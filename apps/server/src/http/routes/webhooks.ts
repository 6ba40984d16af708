import {
  DeliveryDto,
  TranslationDto,
  TranslationRequest,
  WebhookEndpointChange,
  WebhookEndpointDto,
  WebhookEndpointInput,
  WebhookSecretDto,
} from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { DeliveryLogQuery, listDeliveries } from '../../domain/deliveries/list-deliveries.js';
import {
  changeEndpoint,
  createEndpoint,
  endpointSecret,
  listEndpoints,
  removeEndpoint,
} from '../../domain/deliveries/webhook-endpoints.js';
import { translateMessage } from '../../domain/functions/translate-message.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { NoContent } from './schemas.js';

const IdParams = z.object({ id: z.string().max(100) });
const MessageParams = z.object({ conversationId: z.string().max(100), messageId: z.string().max(100) });

/**
 * What the optional functions do for an account (promise P9): its webhook endpoints and their secrets,
 * the delivery log of emails and webhook calls, and the translation of a message.
 */
export function deliveryRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The account's webhook endpoints (admin)",
        response: { 200: z.object({ endpoints: z.array(WebhookEndpointDto) }) },
      },
    },
    async (request) => ({ endpoints: await listEndpoints(ctx, { by: principalOf(request) }) }),
  );
  app.post(
    '/api/v1/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary:
          'Add a webhook endpoint (admin): a public http(s) URL and the events it takes; nothing is sent while webhooks are off',
        body: WebhookEndpointInput.strict(),
        response: { 201: WebhookEndpointDto },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createEndpoint(ctx, { by: principalOf(request), body: request.body })),
  );
  app.patch(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Change a webhook endpoint's URL, events, or whether it takes them (admin)",
        params: IdParams,
        body: WebhookEndpointChange.strict(),
        response: { 200: WebhookEndpointDto },
      },
    },
    async (request) => changeEndpoint(ctx, { by: principalOf(request), id: request.params.id, body: request.body }),
  );
  app.delete(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Remove a webhook endpoint (admin); its pending deliveries are cancelled',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await removeEndpoint(ctx, { by: principalOf(request), id: request.params.id });
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/api/v1/webhooks/:id/secret',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The endpoint's signing secret, the HMAC-SHA256 key of its Plauder-Signature header (admin)",
        params: IdParams,
        response: { 200: WebhookSecretDto },
      },
    },
    async (request) => endpointSecret(ctx, { by: principalOf(request), id: request.params.id }),
  );
  app.post(
    '/api/v1/webhooks/:id/secret',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Replace the endpoint’s signing secret (admin); the old one signs nothing from then on',
        params: IdParams,
        response: { 200: WebhookSecretDto },
      },
    },
    async (request) => endpointSecret(ctx, { by: principalOf(request), id: request.params.id, rotate: true }),
  );
  app.get(
    '/api/v1/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary:
          'The delivery log (admin): every email and webhook call, newest first, its attempts and how the last one ended',
        querystring: DeliveryLogQuery,
        response: { 200: z.object({ deliveries: z.array(DeliveryDto) }) },
      },
    },
    async (request) => ({ deliveries: await listDeliveries(ctx, { by: principalOf(request), query: request.query }) }),
  );
  app.post(
    '/api/v1/conversations/:conversationId/messages/:messageId/translation',
    {
      schema: {
        tags: ['conversations'],
        summary:
          'A message in another language, through the translation service while machine translation runs for the account; nothing is stored',
        params: MessageParams,
        body: TranslationRequest.strict(),
        response: { 200: TranslationDto },
      },
    },
    async (request) =>
      translateMessage(ctx, {
        by: principalOf(request),
        conversationId: request.params.conversationId,
        messageId: request.params.messageId,
        body: request.body,
      }),
  );
}
