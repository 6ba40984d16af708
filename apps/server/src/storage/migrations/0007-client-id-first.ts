import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The uniqueness of a message's client id within its conversation is kept by an index that leads
 * with the client id instead of the conversation. The set of columns is the same, so the rule is the
 * same; the order decides where an insert writes. Our clients choose time-ordered ids (UUID version
 * 7, `newClientMessageId` of the protocol package), so the messages of one commit, whatever their
 * conversations, add to the last pages of the index instead of one page per conversation: on SQLite
 * about half of the pages a message commit writes to the WAL.
 *
 * SQLite cannot drop a table's constraint, so the table is rebuilt (the procedure of SQLite's ALTER
 * TABLE documentation): with foreign keys off, so that dropping the old table deletes no
 * attachment, and checked before the commit.
 */
export function clientIdFirst(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`alter table messages drop constraint messages_conversation_client_id`.execute(db);
        await sql`alter table messages add constraint messages_client_id_conversation unique (client_message_id, conversation_id)`.execute(
          db,
        );
        return;
      }
      await sql`pragma foreign_keys = off`.execute(db);
      try {
        await db.transaction().execute(async (trx) => {
          await trx.schema
            .createTable('messages_rebuilt')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
            .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
            .addColumn('seq', 'integer', (c) => c.notNull())
            .addColumn('client_message_id', 'text', (c) => c.notNull())
            .addColumn('author_kind', 'text', (c) =>
              c.notNull().check(sql`author_kind in ('visitor', 'operator', 'system')`),
            )
            .addColumn('operator_id', 'text', (c) => c.references('operators.id').onDelete('set null'))
            .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('text', 'note')`))
            .addColumn('body_sealed', 'blob', (c) => c.notNull())
            .addColumn('created_at', 'integer', (c) => c.notNull())
            .addUniqueConstraint('messages_conversation_seq', ['conversation_id', 'seq'])
            .addUniqueConstraint('messages_client_id_conversation', ['client_message_id', 'conversation_id'])
            .execute();
          await sql`insert into messages_rebuilt select id, account_id, conversation_id, seq, client_message_id,
            author_kind, operator_id, kind, body_sealed, created_at from messages`.execute(trx);
          await trx.schema.dropTable('messages').execute();
          await trx.schema.alterTable('messages_rebuilt').renameTo('messages').execute();
          await trx.schema
            .createIndex('messages_account_created')
            .on('messages')
            .columns(['account_id', 'created_at'])
            .execute();
          const broken = await sql<{ table: string }>`pragma foreign_key_check`.execute(trx);
          if (broken.rows.length > 0) {
            throw new Error(`Rebuilding messages left ${broken.rows.length} broken foreign key(s)`);
          }
        });
      } finally {
        await sql`pragma foreign_keys = on`.execute(db);
      }
    },
  };
}
