import { accountIdsToWalk } from '../accounts/accounts-to-walk.js';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { openMessageBody } from '../../storage/messages-repository.js';
import {
  listMessagesToIndex,
  type MessageToIndex,
  SEARCH_TOKEN_BYTES,
  setMessageSearchTokens,
} from '../../storage/search-repository.js';
import { hashTokens, searchKey } from './search-key.js';
import { searchTokens } from './tokens.js';

/** How many messages a reindex reads, opens and indexes per transaction. */
export const REINDEX_BATCH_SIZE = 500;

/** What a reindex did, counted over the accounts it walked. */
export interface ReindexCounts {
  accounts: number;
  /** Messages read. */
  messages: number;
  /** Messages that had no search tokens and got them now. */
  indexed: number;
  /** Messages that had search tokens already: left as they were. */
  alreadyIndexed: number;
  /** Messages without a word to index (such as "?" or "ok 1"): marked indexed, with no token. */
  withoutWords: number;
  /** Messages whose conversation key is destroyed: nothing to read, nothing to index. */
  unreadable: number;
  /** Messages erased between their read and the write of their tokens: skipped. */
  skipped: number;
  /** Search tokens written. */
  tokens: number;
}

/**
 * Writes the missing search tokens of existing messages (stored before the search index, or by a node
 * that did not write them yet): every message of every account, or of one. Walks each account's
 * messages oldest first (by id) in batches; opens only the messages never indexed. Idempotent: run again, it
 * finds them indexed; a batch is one transaction, so an interrupted run loses at most its batch. A
 * message erased while its batch is being indexed is skipped, not an error.
 * `onAccount` hears each account's counts when it is done. An unknown account id answers not_found.
 */
export async function reindexSearch(
  ctx: Context,
  input: { accountId?: string; batchSize?: number; onAccount?: (accountId: string, counts: ReindexCounts) => void },
): Promise<ReindexCounts> {
  const db = ctx.database.db;
  const accountIds = await accountIdsToWalk(db, input.accountId);
  const total = emptyCounts();
  for (const accountId of accountIds) {
    const counts = await reindexAccount(ctx, { accountId, batchSize: input.batchSize ?? REINDEX_BATCH_SIZE });
    input.onAccount?.(accountId, counts);
    for (const name of Object.keys(total) as (keyof ReindexCounts)[]) total[name] += counts[name];
  }
  return total;
}

async function reindexAccount(ctx: Context, input: { accountId: string; batchSize: number }): Promise<ReindexCounts> {
  const { accountId } = input;
  const counts = { ...emptyCounts(), accounts: 1 };
  let key: Buffer;
  try {
    key = await searchKey(ctx.store, accountId);
  } catch (error) {
    // An account whose key is destroyed has nothing readable left to index.
    if (error instanceof KeyDestroyedError) return counts;
    throw error;
  }
  let after: string | null = null;
  for (;;) {
    const batch = await listMessagesToIndex(ctx.database.db, { accountId, after, limit: input.batchSize });
    const last = batch.at(-1);
    if (!last) return counts;
    after = last.id;
    counts.messages += batch.length;
    const toWrite: { message: MessageToIndex; tokens: Uint8Array }[] = [];
    for (const message of batch) {
      if (message.indexed) {
        counts.alreadyIndexed++;
        continue;
      }
      const words = await wordsOf(ctx, accountId, message);
      if (words === undefined) counts.unreadable++;
      else toWrite.push({ message, tokens: hashTokens(key, words) });
    }
    if (toWrite.length === 0) continue;
    const written = await ctx.database.db.transaction().execute(async (trx) => {
      const kept: typeof toWrite = [];
      for (const entry of toWrite) {
        // A message erased (or indexed) since it was read is left as it is.
        const stored = await setMessageSearchTokens(trx, {
          accountId,
          conversationId: entry.message.conversationId,
          messageId: entry.message.id,
          tokens: entry.tokens,
        });
        if (stored) kept.push(entry);
      }
      return kept;
    });
    counts.skipped += toWrite.length - written.length;
    for (const entry of written) {
      if (entry.tokens.length === 0) counts.withoutWords++;
      else counts.indexed++;
    }
    counts.tokens += written.reduce((sum, entry) => sum + entry.tokens.length / SEARCH_TOKEN_BYTES, 0);
  }
}

/** The message's words (searchTokens of its body); `undefined` when its key is destroyed. */
async function wordsOf(ctx: Context, accountId: string, message: MessageToIndex): Promise<string[] | undefined> {
  try {
    const body = await openMessageBody(ctx.store, { accountId, messageId: message.id, bodySealed: message.bodySealed });
    return searchTokens(body);
  } catch (error) {
    if (error instanceof KeyDestroyedError) return undefined;
    throw error;
  }
}

function emptyCounts(): ReindexCounts {
  return {
    accounts: 0,
    messages: 0,
    indexed: 0,
    alreadyIndexed: 0,
    withoutWords: 0,
    unreadable: 0,
    skipped: 0,
    tokens: 0,
  };
}
