import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The search index of messages (DESIGN §3, blind index): per message one row for each distinct word,
 * the word as a 16-byte keyed HMAC under the account's search key.
 *
 * `message_tokens_account_token` leads with (account_id, token): a search reads, for each word, the
 * rows holding it from that one index, never another account's. It is the one index a new message
 * writes at random places, so it is kept small (about 60 bytes an entry on SQLite): measured on
 * SQLite, a clustered table keyed by (account_id, token, conversation_id, message_id) cost twice as
 * much per message of 15 words, its entries being twice as long.
 *
 * `message_tokens_message_token` leads with the message id. It keeps a message's tokens distinct (a
 * reindex that meets tokens written meanwhile inserts nothing), and serves deleting a conversation's
 * tokens (through its messages), the cascade from a deleted message (so no way of deleting messages,
 * present or future, leaves their tokens behind) and the reindex's "has this message tokens?".
 * Message ids are time-ordered (UUID version 7), so new messages add to its last pages, as they do to
 * the table itself, instead of one random page per message (as the client-id index of 0007 does).
 *
 * No foreign key to accounts: a deleted account's messages go (cascade), and their tokens with them.
 */
export function searchIndex(dialect: DialectName): Migration {
  // SQLite has no bytea.
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('message_tokens')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('token', blob, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('message_tokens_message_token')
        .on('message_tokens')
        .columns(['message_id', 'token'])
        .unique()
        .execute();
      await db.schema
        .createIndex('message_tokens_account_token')
        .on('message_tokens')
        .columns(['account_id', 'token'])
        .execute();
    },
  };
}
