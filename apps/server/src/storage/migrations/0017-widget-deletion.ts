import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * A widget's deletion: `widgets.deleted_at`, set when it is asked for (from then on the widget serves
 * nothing and no longer shows), until the delete-widget job has erased its conversations and removes
 * the row. And indexes on the `widget_id` of visitors and conversations: removing a widget's row makes
 * the database look for the rows that reference it (the foreign keys, `on delete cascade`), which
 * without them scans both tables whole, every account's rows, while it holds the write lock.
 */
export function widgetDeletion(dialect: DialectName): Migration {
  // SQLite's INTEGER is already 64 bits; PostgreSQL needs bigint for epoch milliseconds.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('widgets').addColumn('deleted_at', ms).execute();
      await db.schema.createIndex('visitors_widget').on('visitors').column('widget_id').execute();
      await db.schema.createIndex('conversations_widget').on('conversations').column('widget_id').execute();
    },
  };
}
