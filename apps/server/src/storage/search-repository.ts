import { PostgresAdapter } from 'kysely';
import { PreparedQuery } from './prepared-query.js';
import type { Executor } from './schema.js';

/** The bytes of one search token as stored: HMAC-SHA-256 cut to 16 bytes. */
export const SEARCH_TOKEN_BYTES = 16;

/** One row of the index: a token of a message. */
interface TokenRow {
  accountId: string;
  conversationId: string;
  messageId: string;
  token: Buffer;
}

/** The values of an insert of `rows` rows: row i as a<i>, c<i>, m<i> and t<i>. */
type RowValues = Record<string, string | Buffer>;

/** The largest chunk of rows one statement inserts: 64 rows, 256 parameters. */
const MAX_CHUNK_ROWS = 64;
/** One prepared insert per chunk size (1, 2, 4, … 64 rows): at most 7 statement texts. */
const chunkInserts = new Map<number, PreparedQuery<RowValues, unknown>>();

function chunkInsert(rows: number): PreparedQuery<RowValues, unknown> {
  let query = chunkInserts.get(rows);
  if (!query) {
    query = new PreparedQuery((db, v: RowValues) =>
      db
        .insertInto('message_tokens')
        .values(
          Array.from({ length: rows }, (_, i) => ({
            // Safe: at build time every name is a stand-in; when run, SearchTokenBatch sets each of them.
            account_id: v[`a${i}`] as string,
            conversation_id: v[`c${i}`] as string,
            message_id: v[`m${i}`] as string,
            token: v[`t${i}`] as Buffer,
          })),
        )
        // A reindex that meets tokens written meanwhile (unique per message and token): they are the same.
        .onConflict((oc) => oc.doNothing()),
    );
    chunkInserts.set(rows, query);
  }
  return query;
}

/**
 * The search tokens of some messages, collected and then stored together: a group commit's messages
 * share a few multi-row inserts (chunks of powers of two rows, so a few prepared statements serve
 * every count) instead of one statement per message.
 */
export class SearchTokenBatch {
  private rows: TokenRow[] = [];

  /** Adds a message's tokens: SEARCH_TOKEN_BYTES each, concatenated, distinct. */
  add(input: { accountId: string; conversationId: string; messageId: string; tokens: Uint8Array }): void {
    const { tokens } = input;
    if (tokens.length % SEARCH_TOKEN_BYTES !== 0) {
      throw new Error(`Search tokens are ${SEARCH_TOKEN_BYTES} bytes each; got ${tokens.length} bytes`);
    }
    for (let start = 0; start < tokens.length; start += SEARCH_TOKEN_BYTES) {
      this.rows.push({
        accountId: input.accountId,
        conversationId: input.conversationId,
        messageId: input.messageId,
        // A view, not a copy: posted to the writer thread, the tokens arrive as one plain Uint8Array.
        token: Buffer.from(tokens.buffer, tokens.byteOffset + start, SEARCH_TOKEN_BYTES),
      });
    }
  }

  /** Stores what was added, in the caller's transaction; tokens stored already stay as they are. */
  async write(db: Executor): Promise<void> {
    const { rows } = this;
    this.rows = [];
    let done = 0;
    while (done < rows.length) {
      const count = chunkRows(rows.length - done);
      const values: RowValues = {};
      for (let i = 0; i < count; i++) {
        const row = rows[done + i] as TokenRow;
        values[`a${i}`] = row.accountId;
        values[`c${i}`] = row.conversationId;
        values[`m${i}`] = row.messageId;
        values[`t${i}`] = row.token;
      }
      await chunkInsert(count).execute(db, values);
      done += count;
    }
  }
}

/** Stores one message's search tokens in the caller's transaction (SearchTokenBatch of one). */
export async function insertSearchTokens(
  db: Executor,
  input: { accountId: string; conversationId: string; messageId: string; tokens: Uint8Array },
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

/** Deletes the search tokens of a conversation's messages; before the messages, in their transaction. */
export async function deleteSearchTokensOfConversation(
  db: Executor,
  where: { accountId: string; conversationId: string },
): Promise<number> {
  const result = await db
    .deleteFrom('message_tokens')
    .where('account_id', '=', where.accountId)
    // Through the messages: the (message_id, token) index finds their rows; (account_id, token) would not.
    .where('message_id', 'in', (eb) =>
      eb
        .selectFrom('messages')
        .select('id')
        .where('account_id', '=', where.accountId)
        .where('conversation_id', '=', where.conversationId),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A conversation that holds a message with every token of a search, and how many such messages. */
export interface SearchHit {
  conversationId: string;
  matchingMessages: number;
}

/**
 * The account's conversations that have at least one message holding every one of `tokens` (distinct),
 * with the number of such messages; the most recently active first (updated_at, then id), at most
 * `limit`. Only the account's own rows are read: the (account_id, token) index leads with the account.
 */
export async function findSearchHits(
  db: Executor,
  where: { accountId: string; tokens: readonly Buffer[]; limit: number },
): Promise<SearchHit[]> {
  if (where.tokens.length === 0) return [];
  const matching = db
    .selectFrom('message_tokens')
    .select(['conversation_id', 'message_id'])
    .where('account_id', '=', where.accountId)
    .where('token', 'in', where.tokens)
    .groupBy(['conversation_id', 'message_id'])
    // A message holds each token once (a unique index): all of them means this many rows.
    .having((eb) => eb.fn.countAll(), '=', where.tokens.length)
    .as('m');
  const rows = await db
    .selectFrom(matching)
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .where('c.account_id', '=', where.accountId)
    .select((eb) => ['c.id', eb.fn.countAll<number | string>().as('matching')])
    .groupBy(['c.id', 'c.updated_at'])
    .orderBy('c.updated_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(where.limit)
    .execute();
  return rows.map((row) => ({ conversationId: row.id, matchingMessages: Number(row.matching) }));
}

/**
 * The ids among `messageIds` of messages of the account that still exist, each held until the caller's
 * transaction ends so that no erasure deletes it before its tokens are written (their foreign key
 * needs it). Dialect branch: PostgreSQL locks the rows FOR KEY SHARE (a row deleted meanwhile is
 * skipped once the deletion commits); SQLite's transaction (BEGIN IMMEDIATE) holds the database's
 * write lock already, and SQLite has no row locks.
 */
export async function keepExistingMessages(
  db: Executor,
  where: { accountId: string; messageIds: readonly string[] },
): Promise<Set<string>> {
  if (where.messageIds.length === 0) return new Set();
  const query = db
    .selectFrom('messages')
    .select('id')
    .where('account_id', '=', where.accountId)
    .where('id', 'in', where.messageIds);
  // getExecutor() is marked internal, but it is in Kysely's public types (see prepared-query.ts).
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const rows = await (postgres ? query.forKeyShare() : query).execute();
  return new Set(rows.map((row) => row.id));
}

/** A message as the reindex reads it: where it is, its body still sealed. */
export interface MessageToIndex {
  id: string;
  conversationId: string;
  createdAt: number;
  bodySealed: Buffer;
}

/** Where a walk over an account's messages stands: after this message, in (created_at, id) order. */
export interface MessageCursor {
  createdAt: number;
  id: string;
}

/**
 * The next `limit` messages of the account after `after`, oldest first (created_at, then id), each
 * with whether it has search tokens already. Walks the (account_id, created_at) index.
 */
export async function listMessagesToIndex(
  db: Executor,
  where: { accountId: string; after: MessageCursor | null; limit: number },
): Promise<(MessageToIndex & { indexed: boolean })[]> {
  let query = db
    .selectFrom('messages as m')
    .select((eb) => [
      'm.id',
      'm.conversation_id',
      'm.created_at',
      'm.body_sealed',
      eb
        .exists(eb.selectFrom('message_tokens as t').select('t.message_id').whereRef('t.message_id', '=', 'm.id'))
        .as('indexed'),
    ])
    .where('m.account_id', '=', where.accountId);
  const { after } = where;
  if (after) {
    // A range on the index's created_at, with the ties of the last batch's time sorted out by id.
    query = query
      .where('m.created_at', '>=', after.createdAt)
      .where((eb) => eb.or([eb('m.created_at', '>', after.createdAt), eb('m.id', '>', after.id)]));
  }
  const rows = await query.orderBy('m.created_at').orderBy('m.id').limit(where.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    conversationId: row.conversation_id,
    createdAt: row.created_at,
    bodySealed: row.body_sealed,
    // SQLite answers 0/1, PostgreSQL a boolean.
    indexed: Boolean(row.indexed),
  }));
}
