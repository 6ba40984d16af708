import { PreparedQuery } from './prepared-query.js';
import type { Executor } from './schema.js';

/** The bytes of one search token as stored: HMAC-SHA-256 cut to 16 bytes. */
export const SEARCH_TOKEN_BYTES = 16;

/** One row of the index: a word of a conversation. */
interface TokenRow {
  conversationId: string;
  token: Buffer;
}

/** The values of an insert of `rows` rows: row i as c<i> and t<i>. */
type RowValues = Record<string, string | Buffer>;

/** The largest chunk of rows one statement inserts: 64 rows, 128 parameters. */
const MAX_CHUNK_ROWS = 64;
/** One prepared insert per chunk size (1, 2, 4, … 64 rows): at most 7 statement texts. */
const chunkInserts = new Map<number, PreparedQuery<RowValues, unknown>>();

function chunkInsert(rows: number): PreparedQuery<RowValues, unknown> {
  let query = chunkInserts.get(rows);
  if (!query) {
    query = new PreparedQuery((db, v: RowValues) =>
      db
        .insertInto('conversation_tokens')
        .values(
          Array.from({ length: rows }, (_, i) => ({
            // Safe: at build time every name is a stand-in; when run, SearchTokenBatch sets each of them.
            conversation_id: v[`c${i}`] as string,
            token: v[`t${i}`] as Buffer,
          })),
        )
        // A word the conversation had already: a message that repeats it writes nothing here.
        .onConflict((oc) => oc.doNothing()),
    );
    chunkInserts.set(rows, query);
  }
  return query;
}

/** The tokens of a message's blob (`messages.search_tokens`), each a view of SEARCH_TOKEN_BYTES. */
export function tokensOf(blob: Uint8Array): Buffer[] {
  if (blob.length % SEARCH_TOKEN_BYTES !== 0) {
    throw new Error(`Search tokens are ${SEARCH_TOKEN_BYTES} bytes each; got ${blob.length} bytes`);
  }
  const tokens: Buffer[] = [];
  for (let start = 0; start < blob.length; start += SEARCH_TOKEN_BYTES) {
    // A view, not a copy: posted to the writer thread, the tokens arrive as one plain Uint8Array.
    tokens.push(Buffer.from(blob.buffer, blob.byteOffset + start, SEARCH_TOKEN_BYTES));
  }
  return tokens;
}

/**
 * The words of some messages for the conversations' index, collected and then stored together: a
 * group commit's messages share a few multi-row inserts (chunks of powers of two rows, so a few
 * prepared statements serve every count) instead of one statement per message, and a word two of
 * them share is written once.
 */
export class SearchTokenBatch {
  private rows = new Map<string, TokenRow>();

  /** Adds a message's tokens: SEARCH_TOKEN_BYTES each, concatenated. */
  add(input: { conversationId: string; tokens: Uint8Array }): void {
    for (const token of tokensOf(input.tokens)) {
      this.rows.set(`${input.conversationId}:${token.toString('base64')}`, {
        conversationId: input.conversationId,
        token,
      });
    }
  }

  /** Stores what was added, in the caller's transaction; words the conversation has already stay as they are. */
  async write(db: Executor): Promise<void> {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    let done = 0;
    while (done < rows.length) {
      const count = chunkRows(rows.length - done);
      const values: RowValues = {};
      for (let i = 0; i < count; i++) {
        const row = rows[done + i] as TokenRow;
        values[`c${i}`] = row.conversationId;
        values[`t${i}`] = row.token;
      }
      await chunkInsert(count).execute(db, values);
      done += count;
    }
  }
}

/** Adds a message's words to its conversation's index in the caller's transaction (SearchTokenBatch of one). */
export async function insertSearchTokens(
  db: Executor,
  input: { conversationId: string; tokens: Uint8Array },
): Promise<void> {
  const batch = new SearchTokenBatch();
  batch.add(input);
  await batch.write(db);
}

/** The largest power of two up to `left` and MAX_CHUNK_ROWS. */
function chunkRows(left: number): number {
  let rows = 1;
  while (rows * 2 <= Math.min(left, MAX_CHUNK_ROWS)) rows *= 2;
  return rows;
}

/**
 * After a message of the conversation was deleted: removes from the conversation's index those of
 * its words (`tokens`, its blob) that no message left in the conversation holds. Reads the blobs of
 * the conversation's messages, so it is for one message at a time, not for bulk erasure (which takes
 * whole conversations and their index with them).
 */
export async function removeWordsOfDeletedMessage(
  db: Executor,
  where: { accountId: string; conversationId: string; tokens: Uint8Array },
): Promise<void> {
  const gone = new Map(tokensOf(where.tokens).map((token) => [token.toString('base64'), token]));
  if (gone.size === 0) return;
  const rows = await db
    .selectFrom('messages')
    .select('search_tokens')
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('search_tokens', 'is not', null)
    .execute();
  for (const row of rows) {
    for (const token of tokensOf(row.search_tokens ?? Buffer.alloc(0))) gone.delete(token.toString('base64'));
    if (gone.size === 0) return;
  }
  await db
    .deleteFrom('conversation_tokens')
    .where('conversation_id', '=', where.conversationId)
    .where('token', 'in', [...gone.values()])
    .execute();
}

/** A conversation that holds a message with every token of a search, and how many such messages. */
export interface SearchHit {
  conversationId: string;
  matchingMessages: number;
}

/** Candidate conversations whose messages one statement reads, while looking for hits. */
const CANDIDATES_PER_READ = 100;

/**
 * The account's conversations that have at least one message holding every one of `tokens` (distinct),
 * with the number of such messages; the most recently active first (updated_at, then id), at most
 * `limit`. The index gives the conversations that hold every word somewhere (those of the account
 * only: each row is joined to its conversation and its account checked); their messages' blobs tell
 * which of them hold every word in one message, read a hundred conversations at a time until `limit`
 * are found.
 */
export async function findSearchHits(
  db: Executor,
  where: { accountId: string; tokens: readonly Buffer[]; limit: number },
): Promise<SearchHit[]> {
  if (where.tokens.length === 0) return [];
  const holdingAll = db
    .selectFrom('conversation_tokens')
    .select('conversation_id')
    .where('token', 'in', where.tokens)
    .groupBy('conversation_id')
    // A conversation holds each word once (the primary key): all of them means this many rows.
    .having((eb) => eb.fn.countAll(), '=', where.tokens.length)
    .as('w');
  const candidates = await db
    .selectFrom(holdingAll)
    .innerJoin('conversations as c', 'c.id', 'w.conversation_id')
    .where('c.account_id', '=', where.accountId)
    .select('c.id')
    .orderBy('c.updated_at', 'desc')
    .orderBy('c.id', 'desc')
    .execute();
  const wanted = where.tokens.map((token) => token.toString('base64'));
  const hits: SearchHit[] = [];
  for (let start = 0; start < candidates.length && hits.length < where.limit; start += CANDIDATES_PER_READ) {
    const ids = candidates.slice(start, start + CANDIDATES_PER_READ).map((c) => c.id);
    const rows = await db
      .selectFrom('messages')
      .select(['conversation_id', 'search_tokens'])
      .where('account_id', '=', where.accountId)
      .where('conversation_id', 'in', ids)
      .where('search_tokens', 'is not', null)
      .execute();
    const matching = new Map<string, number>();
    for (const row of rows) {
      const held = new Set(tokensOf(row.search_tokens ?? Buffer.alloc(0)).map((token) => token.toString('base64')));
      if (wanted.every((token) => held.has(token))) {
        matching.set(row.conversation_id, (matching.get(row.conversation_id) ?? 0) + 1);
      }
    }
    for (const id of ids) {
      const count = matching.get(id);
      if (count !== undefined && hits.length < where.limit) hits.push({ conversationId: id, matchingMessages: count });
    }
  }
  return hits;
}

/** A message as the reindex reads it: where it is, its body still sealed. */
export interface MessageToIndex {
  id: string;
  conversationId: string;
  bodySealed: Buffer;
}

/**
 * The next `limit` messages of the account after the message id `after`, in id order (time-ordered
 * ids: oldest first), each with whether it was indexed already. Walks the primary key, reading past
 * other accounts' messages: the reindex is a rare command, and no index on `messages` serves it alone.
 */
export async function listMessagesToIndex(
  db: Executor,
  where: { accountId: string; after: string | null; limit: number },
): Promise<(MessageToIndex & { indexed: boolean })[]> {
  let query = db
    .selectFrom('messages')
    .select(['id', 'conversation_id', 'body_sealed', 'search_tokens'])
    .where('account_id', '=', where.accountId);
  if (where.after !== null) query = query.where('id', '>', where.after);
  const rows = await query.orderBy('id').limit(where.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    conversationId: row.conversation_id,
    bodySealed: row.body_sealed,
    indexed: row.search_tokens !== null,
  }));
}

/**
 * Stores the tokens of a message that was never indexed (its blob still NULL) and adds them to its
 * conversation's index, in the caller's transaction; false, writing nothing, when the message is gone
 * or was indexed meanwhile.
 */
export async function setMessageSearchTokens(
  db: Executor,
  where: { accountId: string; conversationId: string; messageId: string; tokens: Uint8Array },
): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set({ search_tokens: Buffer.from(where.tokens.buffer, where.tokens.byteOffset, where.tokens.length) })
    .where('id', '=', where.messageId)
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('search_tokens', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  if (where.tokens.length > 0)
    await insertSearchTokens(db, { conversationId: where.conversationId, tokens: where.tokens });
  return true;
}
