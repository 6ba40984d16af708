import { randomUUID } from 'node:crypto';
import type { Role } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import type { Principal } from '../principal.js';
import { getAccount } from './get-account.js';
import { ACCOUNTS_CHANNEL, assertAccountActive, terminateAccount } from './terminate-account.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe(`terminateAccount (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let owner: Principal;
  beforeEach(async () => {
    t = await createTestContext({ env: { ACCOUNT_GRACE_DAYS: '10' } });
    const seeded = await seedOwnerAccount(t.ctx, 'Acme');
    accountId = seeded.accountId;
    owner = { kind: 'operator', accountId, operatorId: seeded.operatorId, role: 'owner', sessionId: 's' };
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const as = (role: Role): Principal => ({
    kind: 'operator',
    accountId,
    operatorId: randomUUID(),
    role,
    sessionId: 's',
  });
  const audit = async () =>
    (await listAuditEntries(t.ctx.database.db, { accountId, limit: 10 })).filter((e) =>
      e.action.startsWith('account.'),
    );

  it("lets the owner terminate with the account's name: read-only at once, purged after ACCOUNT_GRACE_DAYS", async () => {
    const now = t.clock.now();
    const terminated = await terminateAccount(t.ctx, { by: owner, confirmName: ' Acme ' });

    expect(terminated).toMatchObject({ status: 'terminated', terminatedAt: now, purgeAfterAt: now + 10 * DAY_MS });
    expect(await getAccount(t.ctx, { by: owner })).toEqual(terminated);
    await expect(assertAccountActive(t.ctx, { accountId })).rejects.toMatchObject({ code: 'account_terminated' });
    expect(await audit()).toMatchObject([
      {
        actorKind: 'operator',
        actorId: owner.kind === 'operator' ? owner.operatorId : '',
        action: 'account.terminated',
        targetIds: [accountId],
      },
    ]);
  });

  it('answers conflict to a second termination and changes nothing', async () => {
    const first = await terminateAccount(t.ctx, { by: owner, confirmName: 'Acme' });
    t.clock.advance(DAY_MS);
    await expect(terminateAccount(t.ctx, { by: owner, confirmName: 'Acme' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('terminated already') as unknown,
    });
    await expect(terminateAccount(t.ctx, { by: { kind: 'cli', accountId }, graceDays: 1 })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await getAccount(t.ctx, { by: owner })).toEqual(first);
    expect(await audit()).toHaveLength(1);
  });

  it('announces the termination to every node once, and a refused second one not at all', async () => {
    const heard: unknown[] = [];
    const unsubscribe = await t.ctx.bus.subscribe(ACCOUNTS_CHANNEL, (event) => heard.push(event));
    try {
      await terminateAccount(t.ctx, { by: owner, confirmName: 'Acme' });
      await expect(terminateAccount(t.ctx, { by: owner, confirmName: 'Acme' })).rejects.toMatchObject({
        code: 'conflict',
      });
      // The second termination was refused before anything was published; the bus keeps publish order.
      const marker = { type: 'marker' };
      await t.ctx.bus.publish(ACCOUNTS_CHANNEL, marker);
      await vi.waitFor(() => expect(heard).toContainEqual(marker));
      expect(heard).toEqual([{ type: 'account.terminated', accountId }, marker]);
    } finally {
      await unsubscribe();
    }
  });

  it('refuses a wrong or missing name, admins, API tokens and bad grace periods, changing nothing', async () => {
    for (const confirmName of ['acme', 'Acme Inc', '', undefined]) {
      await expect(
        terminateAccount(t.ctx, { by: owner, ...(confirmName === undefined ? {} : { confirmName }) }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
      });
    }
    const token: Principal = { kind: 'api_token', accountId, tokenId: 't', scope: 'write', role: 'admin' };
    for (const by of [as('admin'), token]) {
      await expect(terminateAccount(t.ctx, { by, confirmName: 'Acme' })).rejects.toMatchObject({ code: 'forbidden' });
    }
    for (const graceDays of [-1, 366, 1.5]) {
      await expect(terminateAccount(t.ctx, { by: { kind: 'cli', accountId }, graceDays })).rejects.toMatchObject({
        code: 'validation_failed',
      });
    }
    expect((await getAccount(t.ctx, { by: owner })).status).toBe('active');
    await assertAccountActive(t.ctx, { accountId });
    expect(await audit()).toEqual([]);
  });

  it('lets the command line choose the grace period, 0 included, and answers not_found for an unknown account', async () => {
    const now = t.clock.now();
    expect(await terminateAccount(t.ctx, { by: { kind: 'cli', accountId }, graceDays: 0 })).toMatchObject({
      status: 'terminated',
      purgeAfterAt: now,
    });
    expect((await audit())[0]).toMatchObject({ actorKind: 'cli', actorId: null, action: 'account.terminated' });
    await expect(terminateAccount(t.ctx, { by: { kind: 'cli', accountId: randomUUID() } })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
