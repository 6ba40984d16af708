import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import type { Principal } from '../principal.js';
import { createOperator } from './create-operator.js';
import { listOperators } from './list-operators.js';

describe('listOperators', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function account(name: string) {
    return createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email: `owner@${name}.test`, displayName: `${name} Owner`, password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
  }

  it("lists the operators of the caller's account only, oldest first, to any role", async () => {
    const acme = await account('acme');
    await account('other');
    t.clock.advance(1000);
    const agent = await createOperator(t.ctx, {
      by: { kind: 'cli', accountId: acme.accountId },
      email: 'agent@acme.test',
      displayName: 'Acme Agent',
      password: 'correct horse battery',
      role: 'operator',
    });
    const by: Principal = {
      kind: 'operator',
      accountId: acme.accountId,
      operatorId: agent.id,
      role: 'operator',
      sessionId: 'session',
    };
    const operators = await listOperators(t.ctx, { by });
    expect(operators.map((o) => o.email)).toEqual(['owner@acme.test', 'agent@acme.test']);
  });

  it('lists them to a read-only API token as well', async () => {
    const acme = await account('acme');
    const by: Principal = {
      kind: 'api_token',
      accountId: acme.accountId,
      tokenId: 'token',
      scope: 'read',
      role: 'operator',
    };
    expect((await listOperators(t.ctx, { by })).map((o) => o.id)).toEqual([acme.owner.id]);
  });
});
