import type { AddressInfo } from 'node:net';
import type { VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAccount } from '../domain/accounts/create-account.js';
import { buildServer, type App } from '../http/server.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';

/** The status and Retry-After of an upgrade, or 101 when it opened (the socket is closed again). */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.once('unexpected-response', (_request, response) => {
      const retryAfter = response.headers['retry-after'];
      resolve({ status: response.statusCode ?? 0, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
      response.resume();
    });
    ws.once('error', reject);
  });
}

describe('socket upgrades per client address', () => {
  let t: TestContext;
  let app: App;
  let url: string;
  beforeEach(async () => {
    t = await createTestContext({ env: { SOCKET_UPGRADES_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' } });
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { widget } = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Ada Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/visitor-sessions',
      payload: { publicKey: widget.publicKey },
    });
    const { token } = response.json<VisitorSessionDto>();
    url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws/v1/visitor?token=${encodeURIComponent(token)}`;
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  it('refuses a client past its budget with 429 and Retry-After, before looking at the request, and others go on', async () => {
    const from = (address: string) => ({ 'X-Forwarded-For': address });
    for (let i = 0; i < 3; i++) expect(await upgrade(url, from('203.0.113.7'))).toEqual({ status: 101 });
    expect(await upgrade(url, from('203.0.113.7'))).toEqual({ status: 429, retryAfter: '20' });
    // Refused before the token or the path are read: a bad one is refused the same way.
    expect(await upgrade(`${url.split('?')[0]}?token=forged`, from('203.0.113.7'))).toMatchObject({ status: 429 });
    expect(await upgrade(url, from('203.0.113.8'))).toEqual({ status: 101 });
  });
});
