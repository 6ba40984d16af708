import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Plans and the optional functions (promise P9). `plans`: the plans of the installation, each with the
 * optional functions it includes (a JSON array of names); every plan an account has already is created
 * with none, so nothing starts to send. The plan `standard` needs no row: without one it includes none
 * (domain/functions/plans.ts), so a new installation's tables hold no data a restore would meet. `account_functions`: the optional functions an account turned
 * on, who did and when; a function runs only while the account's plan includes it too.
 * `egress_refusals`: the outbound calls the egress guard refused, counted per account, UTC day,
 * function and host (never what they would have sent).
 */
export function optionalFunctions(dialect: DialectName): Migration {
  // SQLite's INTEGER is already 64 bits; PostgreSQL needs bigint for epoch milliseconds.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('plans')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('functions', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      const now = Date.now();
      await sql`insert into plans (name, functions, created_at, updated_at)
        select distinct plan, '[]', ${sql.lit(now)}, ${sql.lit(now)} from accounts`.execute(db);
      await db.schema
        .createTable('account_functions')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('function', 'text', (c) =>
          c.notNull().check(sql`"function" in ('email', 'webhooks', 'translation')`),
        )
        .addColumn('enabled_by', 'text')
        .addColumn('enabled_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('account_functions_pk', ['account_id', 'function'])
        .execute();
      await db.schema
        .createTable('egress_refusals')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('function', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('last_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('egress_refusals_pk', ['account_id', 'day', 'function', 'host'])
        .execute();
    },
  };
}
