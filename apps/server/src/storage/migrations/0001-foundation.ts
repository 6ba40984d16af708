import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/** The foundation tables: accounts, operators, auth, widgets, chat data, keyring, audit log, rollups, jobs. */
export function foundation(dialect: DialectName): Migration {
  // SQLite has no bytea and its INTEGER is already 64 bits; PostgreSQL needs bigint for epoch milliseconds.
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const autoId = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'terminated')`))
        .addColumn('retention_months', 'integer', (c) =>
          c
            .notNull()
            .defaultTo(12)
            .check(sql`retention_months between 1 and 36`),
        )
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('terminated_at', ms)
        .addColumn('purge_after_at', ms)
        .execute();

      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('email_index', 'text', (c) => c.notNull().unique())
        .addColumn('email_sealed', blob, (c) => c.notNull())
        .addColumn('display_name_sealed', blob, (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'operator')`))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('totp_secret_sealed', blob)
        .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('totp_last_step', 'integer')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('disabled_at', ms)
        .execute();
      await db.schema.createIndex('operators_account').on('operators').column('account_id').execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_seen_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_operator').on('sessions').column('operator_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('created_by', 'text', (c) => c.references('operators.id').onDelete('set null'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('read', 'write')`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_used_at', ms)
        .addColumn('expires_at', ms)
        .addColumn('revoked_at', ms)
        .execute();
      await db.schema.createIndex('api_tokens_account').on('api_tokens').column('account_id').execute();

      await db.schema
        .createTable('widgets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('public_key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('widgets_account').on('widgets').column('account_id').execute();

      await db.schema
        .createTable('visitors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('widget_id', 'text', (c) => c.notNull().references('widgets.id').onDelete('cascade'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_seen_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('visitors_account').on('visitors').column('account_id').execute();

      await db.schema
        .createTable('contacts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('name_sealed', blob)
        .addColumn('email_sealed', blob)
        .addColumn('email_index', 'text')
        .addColumn('phone_sealed', blob)
        .addColumn('notes_sealed', blob)
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contacts_account_email')
        .on('contacts')
        .columns(['account_id', 'email_index'])
        .execute();

      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('widget_id', 'text', (c) => c.notNull().references('widgets.id').onDelete('cascade'))
        .addColumn('visitor_id', 'text', (c) => c.references('visitors.id').onDelete('set null'))
        .addColumn('contact_id', 'text', (c) => c.references('contacts.id').onDelete('set null'))
        .addColumn('operator_id', 'text', (c) => c.references('operators.id').onDelete('set null'))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('waiting', 'open', 'closed')`))
        .addColumn('visitor_email_sealed', blob)
        .addColumn('visitor_ip_sealed', blob)
        .addColumn('visitor_ip_expires_at', ms)
        .addColumn('rating', 'integer', (c) => c.check(sql`rating between 1 and 5`))
        .addColumn('rating_comment_sealed', blob)
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('closed_at', ms)
        .execute();
      await db.schema
        .createIndex('conversations_account_status')
        .on('conversations')
        .columns(['account_id', 'status', 'created_at'])
        .execute();
      await db.schema.createIndex('conversations_contact').on('conversations').column('contact_id').execute();
      await db.schema
        .createIndex('conversations_ip_expiry')
        .on('conversations')
        .column('visitor_ip_expires_at')
        .execute();

      await db.schema
        .createTable('messages')
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
        .addColumn('body_sealed', blob, (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addUniqueConstraint('messages_conversation_seq', ['conversation_id', 'seq'])
        .addUniqueConstraint('messages_conversation_client_id', ['conversation_id', 'client_message_id'])
        .execute();
      await db.schema
        .createIndex('messages_account_created')
        .on('messages')
        .columns(['account_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('attachments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('message_id', 'text', (c) => c.references('messages.id').onDelete('cascade'))
        .addColumn('file_name_sealed', blob, (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'integer', (c) => c.notNull())
        .addColumn('storage_key', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('attachments_conversation').on('attachments').column('conversation_id').execute();

      // No foreign key to accounts: installation keys belong to no account, and an account's keys are
      // destroyed by erasure on purpose, never as a side effect of a cascade.
      await db.schema
        .createTable('keyring')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text')
        .addColumn('kind', 'text', (c) =>
          c.notNull().check(sql`kind in ('installation', 'account', 'operator', 'contact', 'conversation')`),
        )
        .addColumn('subject_id', 'text', (c) => c.notNull())
        .addColumn('wrapped_by', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', blob)
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('destroyed_at', ms)
        .execute();
      await db.schema.createIndex('keyring_subject').on('keyring').columns(['kind', 'subject_id']).unique().execute();
      await db.schema.createIndex('keyring_account').on('keyring').column('account_id').execute();
      await db.schema.createIndex('keyring_wrapped_by').on('keyring').column('wrapped_by').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', autoId, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('account_id', 'text')
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text')
        .addColumn('target_ids', 'text', (c) => c.notNull())
        .addColumn('count', 'integer')
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_log_account_created')
        .on('audit_log')
        .columns(['account_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('rollups')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('widget_id', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('value', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('rollups_pk', ['account_id', 'day', 'widget_id', 'operator_id', 'metric'])
        .execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('queued', 'running', 'done', 'failed', 'cancelled')`),
        )
        .addColumn('run_at', ms, (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', ms)
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('finished_at', ms)
        .execute();
      await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();

      await db.schema
        .createTable('erasure_records')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('subject_kind', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'text', (c) => c.notNull())
        .addColumn('erased_at', ms, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('erasure_records_subject')
        .on('erasure_records')
        .columns(['subject_kind', 'subject_id'])
        .execute();
    },
  };
}
