import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectEgressRefusals } from '../../storage/egress-repository.js';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { watchOutboundConnections } from '../../test-support/outbound-connections.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { setAccountFunction } from './account-functions.js';
import { checkEgress, EgressRefusedError, fetchThroughGuard } from './egress.js';
import { assignPlan, setPlan } from './plans.js';

describe(`the egress guard (${testDialect})`, () => {
  let t: TestContext;
  let service: Server;
  let base: string;
  let received: IncomingMessage[];
  beforeEach(async () => {
    received = [];
    // A stand-in of the translation service, on this machine.
    service = createServer((request, response) => {
      received.push(request);
      if (request.url === '/redirect') {
        response.writeHead(302, { location: 'http://127.0.0.2:9/elsewhere' }).end();
      } else response.end('{"translations":[]}');
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    t = await createTestContext({
      env: { TRANSLATION_URL: `${base}/v2`, TRANSLATION_API_KEY: 'key-1', TRANSLATION_COUNTRY: 'DE' },
    });
  });
  afterEach(async () => {
    await t.cleanup();
    await new Promise<void>((resolve) => service.close(() => resolve()));
  });

  async function accountWithTranslation(label: string, enabled: boolean) {
    const { accountId } = await seedOwnerAccount(t.ctx, label);
    await setPlan(t.ctx, { name: 'translated', functions: ['translation'] });
    await assignPlan(t.ctx, { accountId, plan: 'translated' });
    if (enabled) {
      await setAccountFunction(t.ctx, {
        by: { kind: 'cli', accountId },
        fn: 'translation',
        change: { enabled: true },
      });
    }
    return accountId;
  }

  it('lets a running function call its declared host, and refuses, counts and logs everything else', async () => {
    const on = await accountWithTranslation('on', true);
    const off = await accountWithTranslation('off', false);
    const host = new URL(base).host;
    const watch = watchOutboundConnections();
    try {
      const answer = await fetchThroughGuard(t.ctx, { accountId: on, fn: 'translation', url: `${base}/v2/translate` });
      expect(answer.status).toBe(200);
      expect(received.map((request) => request.url)).toEqual(['/v2/translate']);
      const connectionsAfterAllowed = watch.begun();
      expect(watch.connected).toContain(host);

      // Off for this account: nothing leaves the process.
      await expect(
        fetchThroughGuard(t.ctx, { accountId: off, fn: 'translation', url: `${base}/v2/translate` }),
      ).rejects.toMatchObject({ name: 'EgressRefusedError', reason: 'function_inactive', host });
      // Running, but to a host its processor does not declare.
      await expect(
        fetchThroughGuard(t.ctx, { accountId: on, fn: 'translation', url: 'http://127.0.0.2:9/v2/translate' }),
      ).rejects.toBeInstanceOf(EgressRefusedError);
      // Another function of the same account, not in its plan.
      await expect(checkEgress(t.ctx, { accountId: on, fn: 'webhooks', host })).rejects.toMatchObject({
        reason: 'function_inactive',
      });
      expect(received).toHaveLength(1);
      expect(watch.begun()).toBe(connectionsAfterAllowed);

      // A redirect to another host is answered as it is, never followed.
      const redirected = await fetchThroughGuard(t.ctx, { accountId: on, fn: 'translation', url: `${base}/redirect` });
      expect(redirected.status).toBe(302);
      expect(watch.connected.every((connection) => connection === host)).toBe(true);
    } finally {
      watch.stop();
    }

    const day = new Date(t.clock.now()).toISOString().slice(0, 10);
    const refusals = await selectEgressRefusals(t.ctx.database.db, { since: day });
    expect(
      refusals
        .map(({ accountId, fn, host: to, count }) => ({ accountId, fn, to, count }))
        .sort((a, b) => `${a.accountId}${a.fn}${a.to}`.localeCompare(`${b.accountId}${b.fn}${b.to}`)),
    ).toEqual(
      [
        { accountId: off, fn: 'translation', to: host, count: 1 },
        { accountId: on, fn: 'translation', to: '127.0.0.2:9', count: 1 },
        { accountId: on, fn: 'webhooks', to: host, count: 1 },
      ].sort((a, b) => `${a.accountId}${a.fn}${a.to}`.localeCompare(`${b.accountId}${b.fn}${b.to}`)),
    );
    // Counted per day: the same refusal again adds to its row.
    await expect(checkEgress(t.ctx, { accountId: off, fn: 'translation', host })).rejects.toThrow(/does not run/);
    const again = await selectEgressRefusals(t.ctx.database.db, { accountId: off, since: day });
    expect(again).toMatchObject([{ count: 2 }]);
  });
});
