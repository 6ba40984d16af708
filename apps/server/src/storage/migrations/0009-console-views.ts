import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * What the console's conversation views need: where the visitor was when they started the chat
 * (`conversations.visitor_context_sealed`, JSON sealed with the conversation's key), the account's
 * choice to show visitors' IP addresses (`accounts.show_visitor_ip`, 0/1, off by default), and the
 * indexes of the open and closed lists, which page by their time and then the id (keyset paging).
 */
export function consoleViews(dialect: DialectName): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('conversations').addColumn('visitor_context_sealed', blob).execute();
      await db.schema
        .alterTable('accounts')
        .addColumn('show_visitor_ip', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // `open` and `mine`: newest change first. The waiting list has (account_id, status, created_at).
      await db.schema
        .createIndex('conversations_account_status_updated')
        .on('conversations')
        .columns(['account_id', 'status', 'updated_at', 'id'])
        .execute();
      await db.schema
        .createIndex('conversations_account_status_closed')
        .on('conversations')
        .columns(['account_id', 'status', 'closed_at', 'id'])
        .execute();
    },
  };
}
