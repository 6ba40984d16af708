import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { purgeAccount } from './purge-account.js';
import { restoreAccount } from './restore-account.js';
import { assertAccountActive, terminateAccount } from './terminate-account.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe(`restoreAccount (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  beforeEach(async () => {
    t = await createTestContext();
    ({ accountId } = await seedOwnerAccount(t.ctx, 'Acme'));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const cli = (id = accountId) => ({ kind: 'cli' as const, accountId: id });

  it('makes a terminated account active again during its grace period, dates cleared, audited', async () => {
    await terminateAccount(t.ctx, { by: cli(), graceDays: 30 });
    t.clock.advance(29 * DAY_MS);

    expect(await restoreAccount(t.ctx, { by: cli() })).toMatchObject({
      status: 'active',
      terminatedAt: null,
      purgeAfterAt: null,
    });

    expect(await findAccount(t.ctx.database.db, accountId)).toMatchObject({
      status: 'active',
      terminated_at: null,
      purge_after_at: null,
    });
    await assertAccountActive(t.ctx, { accountId });
    const actions = (await listAuditEntries(t.ctx.database.db, { accountId, limit: 10 })).map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['account.restored', 'account.terminated']);
    // Restored, it is no longer due: the purge leaves it alone however late it runs.
    t.clock.advance(400 * DAY_MS);
    expect(await purgeAccount(t.ctx, { accountId })).toMatchObject({ purged: false });
  });

  it('answers account_not_terminated for an active account and not_found for an unknown one', async () => {
    await expect(restoreAccount(t.ctx, { by: cli() })).rejects.toMatchObject({ code: 'account_not_terminated' });
    await expect(restoreAccount(t.ctx, { by: cli(randomUUID()) })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers account_not_terminated once the grace period has ended, before and after the purge', async () => {
    await terminateAccount(t.ctx, { by: cli(), graceDays: 1 });
    t.clock.advance(DAY_MS);
    await expect(restoreAccount(t.ctx, { by: cli() })).rejects.toMatchObject({
      code: 'account_not_terminated',
      message: expect.stringContaining('grace period') as unknown,
    });
    expect(await purgeAccount(t.ctx, { accountId })).toMatchObject({ purged: true });
    await expect(restoreAccount(t.ctx, { by: cli() })).rejects.toMatchObject({
      code: 'account_not_terminated',
      message: expect.stringContaining('purged') as unknown,
    });
  });
});
