import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The digest of the ref a chat window started a conversation under, so that a start sent again (after
 * a lost answer) finds the conversation it made instead of making another. Unique per visitor;
 * conversations without one (offline messages, older ones) may be many.
 */
export function startRef(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('conversations').addColumn('start_ref_digest', 'text').execute();
      await db.schema
        .createIndex('conversations_visitor_start_ref')
        .on('conversations')
        .columns(['visitor_id', 'start_ref_digest'])
        .unique()
        .execute();
    },
  };
}
