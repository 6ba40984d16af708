import type { Executor } from './schema.js';

/**
 * Where a transcript page that ends before `beforeSeq` (all messages when absent) starts: the seq of
 * the oldest of its newest `limit` messages, how many messages it holds, and whether older ones
 * exist. Reads seq numbers only (the unique (conversation_id, seq) index), no bodies; listMessages
 * then opens the page. `count` is 0 for an empty page or another account's conversation.
 */
export async function findTranscriptPage(
  db: Executor,
  where: { accountId: string; conversationId: string; beforeSeq?: number; limit: number },
): Promise<{ firstSeq: number; count: number; hasMore: boolean }> {
  let query = db
    .selectFrom('messages')
    .select('seq')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId);
  if (where.beforeSeq !== undefined) query = query.where('seq', '<', where.beforeSeq);
  // One more than a page: its presence says whether older messages exist.
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(where.limit + 1)
    .execute();
  const page = rows.slice(0, where.limit);
  return { firstSeq: page.at(-1)?.seq ?? 0, count: page.length, hasMore: rows.length > where.limit };
}
