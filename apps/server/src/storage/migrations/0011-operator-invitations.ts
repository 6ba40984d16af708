import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Invitations of colleagues to an account: the invitee's email sealed with the account key and
 * indexed (HMAC under the installation index key, as operators.email_index), the role they get, and
 * the SHA-256 of the link's token, and the operator who sent it (null for an API token or the command
 * line). A row lives until the invitation is used, revoked or expires, or its sender is removed.
 */
export function operatorInvitations(dialect: DialectName): Migration {
  // SQLite has no bytea and its INTEGER is already 64 bits; PostgreSQL needs bigint for epoch milliseconds.
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      // No separate index on account_id: the unique constraint's index leads with it, serves every
      // per-account lookup and the cascade from accounts, and keeps one pending invitation per email.
      await db.schema
        .createTable('operator_invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('email_sealed', blob, (c) => c.notNull())
        .addColumn('email_index', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'operator')`))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_by', 'text', (c) => c.references('operators.id').onDelete('cascade'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addUniqueConstraint('operator_invitations_account_email', ['account_id', 'email_index'])
        .execute();
      await db.schema
        .createIndex('operator_invitations_expires')
        .on('operator_invitations')
        .column('expires_at')
        .execute();
    },
  };
}
