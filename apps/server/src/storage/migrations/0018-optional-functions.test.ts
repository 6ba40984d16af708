import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { optionalFunctions } from './0018-optional-functions.js';

describe(`migration 0018: plans and optional functions (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('makes a plan without optional functions of every plan an account has, and the standard one', async () => {
    const db = t.ctx.database.db;
    const acme = await seedOwnerAccount(t.ctx, 'acme');
    await seedOwnerAccount(t.ctx, 'other');
    // Back to 0017: no plans, and accounts with plan names of their own.
    await sql`drop table egress_refusals`.execute(db);
    await sql`drop table account_functions`.execute(db);
    await sql`drop table plans`.execute(db);
    await sql`update accounts set plan = 'enterprise' where id = ${acme.accountId}`.execute(db);

    await optionalFunctions(testDialect).up(db as never);

    const plans = await db.selectFrom('plans').select(['name', 'functions']).orderBy('name').execute();
    expect(plans).toEqual([
      { name: 'enterprise', functions: '[]' },
      { name: 'standard', functions: '[]' },
    ]);
    expect(await db.selectFrom('account_functions').selectAll().execute()).toEqual([]);
    await expect(
      sql`insert into account_functions (account_id, "function", enabled_at) values (${acme.accountId}, 'telemetry', 1)`.execute(
        db,
      ),
    ).rejects.toThrow(/check/i);
  });
});
