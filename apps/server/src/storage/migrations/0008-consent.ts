import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The visitor's consent to the privacy notice, recorded with the conversation it was given for: the
 * version of the notice the window showed and when the server received it (epoch milliseconds). NULL
 * for conversations started without one (the widget asks for none, or they are older).
 */
export function consent(dialect: DialectName): Migration {
  // PostgreSQL needs bigint for epoch milliseconds; SQLite's INTEGER is already 64 bits.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('conversations').addColumn('consent_version', 'text').execute();
      await db.schema.alterTable('conversations').addColumn('consent_at', ms).execute();
    },
  };
}
