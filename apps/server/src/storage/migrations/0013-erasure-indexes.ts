import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * An index on `attachments.message_id`, for erasure. Deleting a message makes the database look for
 * attachments that reference it (the foreign key, `on delete cascade`): without an index, SQLite and
 * PostgreSQL scan the whole attachments table once per message deleted. Measured on SQLite, a bulk
 * delete of 50,000 messages with 2,000 attachments ran at 7,700 messages/s without it and 49,900 with.
 */
export function erasureIndexes(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('attachments_message').on('attachments').column('message_id').execute();
    },
  };
}
