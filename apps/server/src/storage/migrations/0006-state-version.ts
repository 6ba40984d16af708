import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Counts the changes of a conversation's status and operator (1 when it starts). The events of those
 * changes carry it: they are published by whichever node made the change, so they may arrive out of
 * order, and a socket drops one older than what it has shown.
 */
export function stateVersion(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('conversations')
        .addColumn('state_version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
  };
}
