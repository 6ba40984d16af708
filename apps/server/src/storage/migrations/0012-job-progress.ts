import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * What the jobs need besides the queue columns of 0001: the account a job works for (none for
 * installation-wide sweeps), progress (done, total, unit) and the position a killed run resumes from,
 * a cancel request, the summary of a finished run, when it started, and a key that makes each
 * scheduled run of a job one row however many nodes enqueue it.
 */
export function jobProgress(dialect: DialectName): Migration {
  // SQLite's INTEGER is already 64 bits; PostgreSQL needs bigint for epoch milliseconds.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('jobs')
        .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
        .execute();
      await db.schema
        .alterTable('jobs')
        .addColumn('progress_done', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('jobs').addColumn('progress_total', 'integer').execute();
      await db.schema.alterTable('jobs').addColumn('progress_unit', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('cursor', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('result', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('cancel_requested_at', ms).execute();
      await db.schema.alterTable('jobs').addColumn('started_at', ms).execute();
      await db.schema.alterTable('jobs').addColumn('schedule_key', 'text').execute();
      await db.schema.createIndex('jobs_schedule_key').unique().on('jobs').column('schedule_key').execute();
      await db.schema.createIndex('jobs_account_created').on('jobs').columns(['account_id', 'created_at']).execute();
    },
  };
}
