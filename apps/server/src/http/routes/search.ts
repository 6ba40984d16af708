import { SearchResultDto } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { searchConversations } from '../../domain/search/search-conversations.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

/** A search: the words (at most 10 count) and how many conversations at most. */
const SearchRequest = z.object({
  q: z.string().min(1).max(1000),
  limit: z.number().int().min(1).max(100).default(50),
});

/**
 * Search over the account's transcripts, through the blind index: every role, read-only tokens too.
 * A POST, so that the words stay out of URLs (proxies and access logs keep query strings).
 */
export function searchRoutes(app: App, ctx: Context): void {
  app.post(
    '/api/v1/search',
    {
      config: { readsOnly: true },
      schema: {
        tags: ['conversations'],
        summary:
          'Conversations with a message (text, note or file name) holding every word of q, most recently active first',
        body: SearchRequest,
        response: { 200: SearchResultDto },
      },
    },
    async (request) =>
      searchConversations(ctx, { by: principalOf(request), query: request.body.q, limit: request.body.limit }),
  );
}
