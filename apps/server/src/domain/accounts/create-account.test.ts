import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../test-support/test-context.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { getOperator } from '../../storage/operators-repository.js';
import { listWidgets } from '../../storage/widgets-repository.js';
import { createAccount } from './create-account.js';

describe('createAccount', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('creates the account with its owner, a widget and an audit entry', async () => {
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'Owner@Acme.test', displayName: 'Ada Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    const owner = await getOperator(t.ctx.store, { accountId: created.accountId, operatorId: created.owner.id });
    expect(owner).toMatchObject({ email: 'owner@acme.test', displayName: 'Ada Owner', role: 'owner' });
    expect(await listWidgets(t.ctx.database.db, { accountId: created.accountId })).toHaveLength(1);
    const audit = await listAuditEntries(t.ctx.database.db, { accountId: created.accountId, limit: 10 });
    expect(audit.map((e) => e.action)).toEqual(['account.created']);
  });

  it('refuses a second operator with the same email, in any account', async () => {
    const owner = { email: 'same@acme.test', displayName: 'A', password: 'correct horse battery' };
    await createAccount(t.ctx, { name: 'One', plan: 'standard', owner, actor: { kind: 'cli', id: null } });
    await expect(
      createAccount(t.ctx, { name: 'Two', plan: 'standard', owner, actor: { kind: 'cli', id: null } }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('refuses a retention window outside 1 to 36 months', async () => {
    const owner = { email: 'r@acme.test', displayName: 'A', password: 'correct horse battery' };
    await expect(
      createAccount(t.ctx, {
        name: 'R',
        plan: 'standard',
        owner,
        retentionMonths: 37,
        actor: { kind: 'cli', id: null },
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
