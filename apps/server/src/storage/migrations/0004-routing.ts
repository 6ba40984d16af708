import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Routing: each operator's chosen presence and capacity, the operator sockets open on every node (so
 * any node can tell who is connected), and where a conversation came from (a chat or an offline message).
 */
export function routing(dialect: DialectName): Migration {
  // PostgreSQL needs bigint for epoch milliseconds; SQLite's INTEGER is already 64 bits.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operator_presence')
        .addColumn('operator_id', 'text', (c) => c.primaryKey().references('operators.id').onDelete('cascade'))
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('online', 'away', 'offline')`))
        .addColumn('capacity', 'integer', (c) => c.notNull())
        .addColumn('last_assigned_at', ms)
        .addColumn('disconnected_at', ms)
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('operator_presence_account').on('operator_presence').column('account_id').execute();

      await db.schema
        .createTable('operator_sockets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('connected_at', ms, (c) => c.notNull())
        .addColumn('seen_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('operator_sockets_operator').on('operator_sockets').column('operator_id').execute();
      await db.schema.createIndex('operator_sockets_node').on('operator_sockets').column('node_id').execute();

      await db.schema
        .alterTable('conversations')
        .addColumn('origin', 'text', (c) =>
          c
            .notNull()
            .defaultTo('chat')
            .check(sql`origin in ('chat', 'offline_message')`),
        )
        .execute();
      await db.schema
        .createIndex('conversations_operator_status')
        .on('conversations')
        .columns(['operator_id', 'status'])
        .execute();
      // The routing sweep asks which accounts have chats waiting, across every account.
      await db.schema
        .createIndex('conversations_status_account')
        .on('conversations')
        .columns(['status', 'account_id'])
        .execute();
    },
  };
}
