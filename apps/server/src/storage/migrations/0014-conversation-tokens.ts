import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The search index moves from one row per word and message (`message_tokens`, 0010) to one row per
 * word and conversation (`conversation_tokens`), and each message keeps its own words as one blob
 * (`messages.search_tokens`: its distinct tokens, SEARCH_TOKEN_BYTES each, concatenated; empty when
 * it has no word, NULL when it was never indexed). A search finds the conversations that hold every
 * word in the index, then checks their messages' blobs for one holding them all.
 *
 * Why: erasing a message deleted about four index rows per word, each in a b-tree ordered by word,
 * so a bulk delete rewrote a page per word and message; now a conversation's words are one run of
 * the table (keyed by conversation first) and its messages' words go with their rows. Measured on
 * SQLite (200,000 messages of five words, 100 a conversation, 2,000 messages a transaction): 59.9 µs
 * of erasure per message before, 24.4 after; the same messages seeded anew took 160 MB instead of
 * 393. Conversation ids are time-ordered from now on (conversations-repository), so the old
 * conversations a bulk delete or the retention sweep takes sit together in each word's run of
 * `conversation_tokens_token` as well.
 *
 * `messages_account_created` goes: the reindex was its one reader, and it walks messages by id now
 * (time-ordered too); every message written and erased paid for an entry in it.
 *
 * No `account_id` in the new table: tokens are keyed by the account's own search key, so one account's
 * token never equals another's, and every read joins the conversation and checks its account. The
 * rows go with their conversation (a foreign key with cascade, and each erasure deletes them first).
 */
export function conversationTokens(dialect: DialectName): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('messages').addColumn('search_tokens', blob).execute();
      // Dialect branch: SQLite keeps the rows in the primary key's b-tree alone (WITHOUT ROWID), with
      // no rowid table beside it; PostgreSQL has no such table and keeps the heap.
      await sql`
        create table conversation_tokens (
          conversation_id text not null references conversations (id) on delete cascade,
          token ${sql.raw(blob)} not null,
          primary key (conversation_id, token)
        )${sql.raw(dialect === 'sqlite' ? ' without rowid' : '')}
      `.execute(db);
      await db.schema
        .createIndex('conversation_tokens_token')
        .on('conversation_tokens')
        .columns(['token', 'conversation_id'])
        .execute();
      await sql`
        insert into conversation_tokens (conversation_id, token)
        select distinct conversation_id, token from message_tokens
      `.execute(db);
      // Dialect branch: PostgreSQL concatenates bytea with string_agg; SQLite's group_concat keeps a
      // blob's bytes (NULs included) and answers text, cast back to a blob.
      const concatenated =
        dialect === 'postgres' ? sql`string_agg(t.token, ''::bytea)` : sql`cast(group_concat(t.token, '') as blob)`;
      await sql`
        update messages set search_tokens = (
          select ${concatenated} from message_tokens t where t.message_id = messages.id
        )
        where id in (select message_id from message_tokens)
      `.execute(db);
      await db.schema.dropTable('message_tokens').execute();
      await db.schema.dropIndex('messages_account_created').execute();
    },
  };
}
