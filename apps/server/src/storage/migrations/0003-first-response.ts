import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/** When an operator first answered a conversation: the first-response time of the reports. */
export function firstResponse(dialect: DialectName): Migration {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('conversations').addColumn('first_response_at', ms).execute();
    },
  };
}
