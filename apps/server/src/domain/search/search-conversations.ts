import type { SearchHitDto, SearchResultDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { listConversationsByIds } from '../../storage/conversation-lists.js';
import { findSearchHits, SEARCH_TOKEN_BYTES } from '../../storage/search-repository.js';
import { conversationSummaryDto } from '../conversations/list-conversations.js';
import { AppError } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import { hashTokens, searchKey } from './search-key.js';
import { MIN_TOKEN_CHARS, searchTokens } from './tokens.js';

/** The most words a search takes: each is one more index range to read and intersect. */
export const MAX_QUERY_WORDS = 10;

/**
 * The account's conversations in which one message (text, note or file name) holds every word of the
 * query, each with how many of its messages do; the most recently active first, at most `limit`.
 * Words are normalized as messages are (searchTokens): case and diacritics do not matter, a word
 * matches whole words only. Every role may search. A query without a word of 2 or more letters or
 * digits, or with more than 10 distinct words, answers validation_failed.
 */
export async function searchConversations(
  ctx: Context,
  input: { by: Principal; query: string; limit: number },
): Promise<SearchResultDto> {
  requireRole(input.by, 'operator');
  const { accountId } = input.by;
  // One more than allowed is enough to tell a query that has too many.
  const words = searchTokens(input.query, MAX_QUERY_WORDS + 1);
  if (words.length === 0) {
    throw new AppError(
      'validation_failed',
      `The search has no word to look for: give at least one word of ${MIN_TOKEN_CHARS} or more letters or digits`,
    );
  }
  if (words.length > MAX_QUERY_WORDS) {
    throw new AppError('validation_failed', `A search takes at most ${MAX_QUERY_WORDS} words; leave some out`);
  }
  const hashes = hashTokens(await searchKey(ctx.store, accountId), words);
  const tokens = words.map((_, index) =>
    Buffer.from(hashes.buffer, hashes.byteOffset + index * SEARCH_TOKEN_BYTES, SEARCH_TOKEN_BYTES),
  );
  const found = await findSearchHits(ctx.database.db, { accountId, tokens, limit: input.limit });
  const listings = await listConversationsByIds(ctx.store, {
    accountId,
    conversationIds: found.map((hit) => hit.conversationId),
  });
  const byId = new Map(listings.map((listing) => [listing.id, listing]));
  const hits: SearchHitDto[] = [];
  for (const hit of found) {
    // A conversation erased between the two reads is left out.
    const listing = byId.get(hit.conversationId);
    if (listing) hits.push({ conversation: conversationSummaryDto(listing), matchingMessages: hit.matchingMessages });
  }
  return { hits };
}
