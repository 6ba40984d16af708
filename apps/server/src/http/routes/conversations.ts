import {
  ConversationDetailDto,
  ConversationId,
  ConversationPageDto,
  ConversationView,
  TranscriptPageDto,
} from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { deleteMessage } from '../../domain/conversations/delete-message.js';
import { getConversationDetail } from '../../domain/conversations/get-conversation-detail.js';
import { getTranscript, TRANSCRIPT_PAGE_LIMIT } from '../../domain/conversations/get-transcript.js';
import { CONVERSATION_PAGE_LIMIT, listConversations } from '../../domain/conversations/list-conversations.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { NoContent } from './schemas.js';

const ConversationParams = z.object({ id: ConversationId });

/**
 * The conversations of the caller's account for the console: its lists, one with its visitor panel,
 * and its transcript. Every role reads them; the operator socket stays the live channel. Admins
 * delete single messages.
 */
export function conversationRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/conversations',
    {
      schema: {
        tags: ['conversations'],
        summary: 'A page of a conversation list: waiting (oldest first), mine, open (last change first), closed',
        querystring: z.object({
          view: ConversationView,
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(CONVERSATION_PAGE_LIMIT.max)
            .default(CONVERSATION_PAGE_LIMIT.default),
          cursor: z.string().max(200).optional(),
        }),
        response: { 200: ConversationPageDto },
      },
    },
    async (request) => listConversations(ctx, { by: principalOf(request), ...request.query }),
  );
  app.get(
    '/api/v1/conversations/:id',
    {
      schema: {
        tags: ['conversations'],
        summary: 'One conversation with its visitor panel: consent, page, contact, rating, IP (when shown)',
        params: ConversationParams,
        response: { 200: ConversationDetailDto },
      },
    },
    async (request) => getConversationDetail(ctx, { by: principalOf(request), conversationId: request.params.id }),
  );
  app.get(
    '/api/v1/conversations/:id/messages',
    {
      schema: {
        tags: ['conversations'],
        summary: "A page of a conversation's transcript, notes and files included, oldest first",
        params: ConversationParams,
        querystring: z.object({
          // A message seq is a 32-bit integer in both dialects: a larger one would fail in the query.
          before: z.coerce.number().int().min(1).max(2147483647).optional(),
          limit: z.coerce.number().int().min(1).max(TRANSCRIPT_PAGE_LIMIT.max).default(TRANSCRIPT_PAGE_LIMIT.default),
        }),
        response: { 200: TranscriptPageDto },
      },
    },
    async (request) =>
      getTranscript(ctx, { by: principalOf(request), conversationId: request.params.id, ...request.query }),
  );
  app.delete(
    '/api/v1/conversations/:id/messages/:messageId',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Delete one message with its file (admin); the rest of the conversation stays',
        params: ConversationParams.extend({ messageId: z.string().uuid() }),
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      const { id: conversationId, messageId } = request.params;
      await deleteMessage(ctx, { by: principalOf(request), conversationId, messageId });
      return reply.status(204).send(null);
    },
  );
}
