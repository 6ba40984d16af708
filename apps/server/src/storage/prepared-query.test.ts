import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { PreparedQuery } from './prepared-query.js';

describe(`prepared queries (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const upsert = new PreparedQuery((db, v: { key: string; value: string }) =>
    db
      .insertInto('meta')
      .values({ key: v.key, value: v.value })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet((eb) => ({ value: sql<string>`${eb.ref('meta.value')} || ${eb.ref('excluded.value')}` })),
      )
      .returning(['key', 'value']),
  );

  it('runs one compiled query with new values each time, in and out of transactions', async () => {
    expect(await upsert.execute(t.ctx.database.db, { key: 'prepared.a', value: '2' })).toEqual([
      { key: 'prepared.a', value: '2' },
    ]);
    expect(await upsert.executeTakeFirst(t.ctx.database.db, { key: 'prepared.a', value: '5' })).toEqual({
      key: 'prepared.a',
      value: '25',
    });
    const inTransaction = await t.ctx.database.db
      .transaction()
      .execute((trx) => upsert.executeTakeFirst(trx, { key: 'prepared.b', value: '1' }));
    expect(inTransaction).toEqual({ key: 'prepared.b', value: '1' });
  });

  it('refuses a query in which a value became SQL text instead of a parameter', async () => {
    const inlined = new PreparedQuery((db, v: { key: string }) =>
      db
        .selectFrom('meta')
        .select('value')
        // A mistake the type checker cannot see: the stand-in is written into the SQL text.
        .where(sql.raw<boolean>(`key = '${String(v.key)}'`)),
    );
    await expect(inlined.execute(t.ctx.database.db, { key: 'prepared.a' })).rejects.toThrow(
      'value "key" did not become a parameter',
    );
  });

  it.runIf(testDialect === 'postgres')('is a named statement on PostgreSQL, parsed once per connection', async () => {
    const names = await t.ctx.database.db.transaction().execute(async (trx) => {
      await upsert.execute(trx, { key: 'prepared.named', value: '1' });
      await upsert.execute(trx, { key: 'prepared.named', value: '1' });
      const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(trx);
      return rows.map((row) => row.name);
    });
    expect(names.filter((name) => name.startsWith('plauder_'))).toHaveLength(1);
  });
});
