import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/** Canned responses: an account's reusable reply texts, each under a shortcut unique in the account. */
export function cannedResponses(dialect: DialectName): Migration {
  // PostgreSQL needs bigint for epoch milliseconds; SQLite's INTEGER is already 64 bits.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      // No separate index on account_id: the unique constraint's index leads with it, serves every
      // per-account lookup and the cascade from accounts, and returns a list in shortcut order.
      await db.schema
        .createTable('canned_responses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('shortcut', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.references('operators.id').onDelete('set null'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addUniqueConstraint('canned_responses_account_shortcut', ['account_id', 'shortcut'])
        .execute();
    },
  };
}
