import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { inReadSnapshot } from './database.js';
import type { Executor } from './schema.js';

describe(`inReadSnapshot (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const valueOf = async (db: Executor) =>
    (await db.selectFrom('meta').select('value').where('key', '=', 'snapshot.test').executeTakeFirst())?.value;
  const write = (value: string) =>
    t.ctx.database.db
      .insertInto('meta')
      .values({ key: 'snapshot.test', value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();

  it('reads one moment while writers commit meanwhile, without making them wait', async () => {
    await write('before');
    const seen = await inReadSnapshot(t.ctx.database, async (snapshot) => {
      const first = await valueOf(snapshot);
      // A write lock held by the snapshot would make this wait for its end: the test would time out.
      await write('meanwhile');
      const second = await valueOf(snapshot);
      return [first, second];
    });
    expect(seen).toEqual(['before', 'before']);
    expect(await valueOf(t.ctx.database.db)).toBe('meanwhile');
  });
});
