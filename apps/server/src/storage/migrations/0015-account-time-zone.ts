import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The account's time zone (`accounts.time_zone`, an IANA name, `UTC` by default): the zone whose
 * calendar days and hours its reports count in. Every account so far counted in UTC, so the default
 * keeps what their rollups hold right.
 */
export function accountTimeZone(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('accounts')
        .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
        .execute();
    },
  };
}
