import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { PreparedQuery } from './prepared-query.js';

describe(`prepared queries (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  beforeEach(async () => {
    t = await createTestContext();
    ({ accountId } = await seedOwnerAccount(t.ctx, 'prepared'));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const upsert = new PreparedQuery((db, v: { accountId: string; metric: string; value: number }) =>
    db
      .insertInto('rollups')
      .values({
        account_id: v.accountId,
        day: '2026-11-29',
        widget_id: '',
        operator_id: '',
        metric: v.metric,
        value: v.value,
      })
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'day', 'widget_id', 'operator_id', 'metric'])
          .doUpdateSet((eb) => ({ value: eb('rollups.value', '+', eb.ref('excluded.value')) })),
      )
      .returning(['metric', 'value']),
  );

  it('runs one compiled query with new values each time, in and out of transactions', async () => {
    expect(await upsert.execute(t.ctx.database.db, { accountId, metric: 'a', value: 2 })).toEqual([
      { metric: 'a', value: 2 },
    ]);
    expect(await upsert.executeTakeFirst(t.ctx.database.db, { accountId, metric: 'a', value: 5 })).toEqual({
      metric: 'a',
      value: 7,
    });
    const inTransaction = await t.ctx.database.db
      .transaction()
      .execute((trx) => upsert.executeTakeFirst(trx, { accountId, metric: 'b', value: 1 }));
    expect(inTransaction).toEqual({ metric: 'b', value: 1 });
  });

  it('refuses a query in which a value became SQL text instead of a parameter', async () => {
    const inlined = new PreparedQuery((db, v: { metric: string }) =>
      db
        .selectFrom('rollups')
        .select('metric')
        // A mistake the type checker cannot see: the stand-in is written into the SQL text.
        .where(sql.raw<boolean>(`metric = '${String(v.metric)}'`)),
    );
    await expect(inlined.execute(t.ctx.database.db, { metric: 'a' })).rejects.toThrow(
      'value "metric" did not become a parameter',
    );
  });

  it.runIf(testDialect === 'postgres')('is a named statement on PostgreSQL, parsed once per connection', async () => {
    const names = await t.ctx.database.db.transaction().execute(async (trx) => {
      await upsert.execute(trx, { accountId, metric: 'named', value: 1 });
      await upsert.execute(trx, { accountId, metric: 'named', value: 1 });
      const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(trx);
      return rows.map((row) => row.name);
    });
    expect(names.filter((name) => name.startsWith('plauder_'))).toHaveLength(1);
  });
});
