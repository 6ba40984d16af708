import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The deliveries of the optional functions (promise P9). `webhook_endpoints`: an account's own URLs
 * and the events each takes; the signing secret is derived from the account key, never stored
 * (domain/deliveries/webhook-secret.ts). `deliveries`: one row per email or webhook call to make, by
 * reference only (event, conversation, message; never content, which is read and opened when it is
 * sent), with its attempts, its next attempt and how the last one ended: the delivery log.
 */
export function deliveries(dialect: DialectName): Migration {
  // SQLite's INTEGER is already 64 bits; PostgreSQL needs bigint for epoch milliseconds.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('secret_version', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_endpoints_account').on('webhook_endpoints').column('account_id').execute();
      await db.schema
        .createTable('deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('function', 'text', (c) => c.notNull().check(sql`"function" in ('email', 'webhooks')`))
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('message_id', 'text')
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'delivered', 'failed', 'cancelled')`),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', ms, (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', ms)
        .addColumn('last_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('finished_at', ms)
        .execute();
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema
        .createIndex('deliveries_account')
        .on('deliveries')
        .columns(['account_id', 'created_at'])
        .execute();
    },
  };
}
