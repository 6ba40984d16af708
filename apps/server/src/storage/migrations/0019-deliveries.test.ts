import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { deliveries } from './0019-deliveries.js';

describe(`migration 0019: webhook endpoints and deliveries (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('makes both tables, keeping a delivery to its functions and statuses, and removing both with their account', async () => {
    const db = t.ctx.database.db;
    const { accountId } = await seedOwnerAccount(t.ctx, 'acme');
    await sql`drop table deliveries`.execute(db);
    await sql`drop table webhook_endpoints`.execute(db);
    await deliveries(testDialect).up(db as never);

    const row = (overrides: Record<string, unknown>) => ({
      id: String(Math.random()),
      account_id: accountId,
      function: 'webhooks' as const,
      event: 'conversation.started',
      endpoint_id: null,
      conversation_id: null,
      message_id: null,
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: 1,
      locked_by: null,
      locked_until: null,
      last_code: null,
      last_error: null,
      created_at: 1,
      finished_at: null,
      ...overrides,
    });
    await db.insertInto('deliveries').values(row({})).execute();
    await expect(
      db
        .insertInto('deliveries')
        .values(row({ function: 'translation' }))
        .execute(),
    ).rejects.toThrow(/check/i);
    await expect(
      db
        .insertInto('deliveries')
        .values(row({ status: 'lost' }))
        .execute(),
    ).rejects.toThrow(/check/i);
    await db
      .insertInto('webhook_endpoints')
      .values({
        id: 'e1',
        account_id: accountId,
        url: 'https://hooks.example.com/',
        events: '[]',
        enabled: 1,
        secret_version: 1,
        created_by: null,
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    await sql`delete from accounts where id = ${accountId}`.execute(db);
    expect(await db.selectFrom('deliveries').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('webhook_endpoints').selectAll().execute()).toEqual([]);
  });
});
