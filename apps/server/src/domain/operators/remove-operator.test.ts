import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countOwners } from '../../storage/operators-repository.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import type { Principal } from '../principal.js';
import { createOperator } from './create-operator.js';
import { removeOperator } from './remove-operator.js';

describe(`removeOperator (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('keeps an owner when two owners remove each other at the same time', async () => {
    for (let round = 0; round < 3; round++) {
      const { accountId, owner } = await createAccount(t.ctx, {
        name: `Race ${round}`,
        plan: 'standard',
        owner: { email: `first${round}@race.test`, displayName: 'First', password: 'correct horse battery' },
        actor: { kind: 'cli', id: null },
      });
      const second = await createOperator(t.ctx, {
        by: { kind: 'cli', accountId },
        email: `second${round}@race.test`,
        displayName: 'Second',
        password: 'correct horse battery',
        role: 'owner',
      });
      const as = (operatorId: string): Principal => ({
        kind: 'operator',
        accountId,
        operatorId,
        role: 'owner',
        sessionId: 's',
      });
      const results = await Promise.allSettled([
        removeOperator(t.ctx, { by: as(owner.id), operatorId: second.id }),
        removeOperator(t.ctx, { by: as(second.id), operatorId: owner.id }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
      expect(await countOwners(t.ctx.store, { accountId })).toBe(1);
    }
  });
});
