import { SearchResultDto } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { searchConversations } from '../../domain/search/search-conversations.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';

/** The query of a search: the words (at most 10 count) and how many conversations at most. */
const SearchQuery = z.object({
  q: z.string().min(1).max(1000),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** Search over the account's transcripts, through the blind index: every role, read-only tokens too. */
export function searchRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/search',
    {
      schema: {
        tags: ['conversations'],
        summary:
          'Conversations with a message (text, note or file name) holding every word of q, most recently active first',
        querystring: SearchQuery,
        response: { 200: SearchResultDto },
      },
    },
    async (request) =>
      searchConversations(ctx, { by: principalOf(request), query: request.query.q, limit: request.query.limit }),
  );
}
