import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { AccountDto, OperatorServerFrame, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { restoreAccount } from '../domain/accounts/restore-account.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { writesDuringGracePeriod } from './auth.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const DAY_MS = 24 * 60 * 60 * 1000;

describe(`a terminated account over HTTP and the sockets (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  let acme: { accountId: string; publicKey: string; email: string; owner: Caller };
  const sockets: SocketClient<{ type: string }>[] = [];
  beforeEach(async () => {
    t = await createTestContext({ env: { ACCOUNT_GRACE_DAYS: '14' } });
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    // Safe: a server listening on a TCP port has an AddressInfo address.
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const email = 'owner@acme.test';
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email, displayName: 'Acme Owner', password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    acme = {
      accountId: created.accountId,
      publicKey: created.widget.publicKey,
      email,
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await app.close();
    await t.cleanup();
  });

  function call(caller: Caller, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
  }
  const terminate = (caller: Caller, confirmName: string) =>
    call(caller, 'POST', '/api/v1/account/terminate', { confirmName });
  async function writeToken(): Promise<Caller> {
    const response = await call(acme.owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope: 'write' });
    expect(response.statusCode).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }
  const sessionOf = async () =>
    (
      await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey: acme.publicKey } })
    ).json<VisitorSessionDto>();
  async function operatorSocket(): Promise<SocketClient<OperatorServerFrame>> {
    const socket = await SocketClient.open<OperatorServerFrame>(`${base}/ws/v1/operator`, {
      headers: { cookie: `plauder_session=${acme.owner.cookies?.plauder_session ?? ''}` },
    });
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }

  it('lets the owner terminate with the name typed again, shows the dates, and answers conflict the second time', async () => {
    const wrong = await terminate(acme.owner, 'ACME');
    expect(wrong.statusCode).toBe(400);
    expect(errorOf(wrong).code).toBe('validation_failed');
    expect((await call(acme.owner, 'GET', '/api/v1/account')).json<AccountDto>()).toMatchObject({
      status: 'active',
      terminatedAt: null,
      purgeAfterAt: null,
    });

    const response = await terminate(acme.owner, 'Acme');

    expect(response.statusCode, response.body).toBe(200);
    const now = t.clock.now();
    const terminated = { status: 'terminated', terminatedAt: now, purgeAfterAt: now + 14 * DAY_MS };
    expect(response.json<AccountDto>()).toMatchObject(terminated);
    expect((await call(acme.owner, 'GET', '/api/v1/account')).json<AccountDto>()).toMatchObject(terminated);
    const again = await terminate(acme.owner, 'Acme');
    expect(again.statusCode).toBe(409);
    expect(errorOf(again)).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('terminated already') as unknown,
    });
  });

  it('refuses termination by an admin and by API tokens', async () => {
    const created = await call(acme.owner, 'POST', '/api/v1/operators', {
      email: 'admin@acme.test',
      displayName: 'Admin',
      password: PASSWORD,
      role: 'admin',
    });
    expect(created.statusCode).toBe(201);
    const admin = await logInAs(app, { email: 'admin@acme.test', password: PASSWORD });
    for (const caller of [admin, await writeToken()]) {
      const response = await terminate(caller, 'Acme');
      expect(response.statusCode).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
    }
    expect((await call(acme.owner, 'GET', '/api/v1/account')).json<AccountDto>().status).toBe('active');
  });

  it('is read-only in its grace period: writes answer account_terminated, reads, sign-out and sign-in work', async () => {
    const token = await writeToken();
    expect((await terminate(acme.owner, 'Acme')).statusCode).toBe(200);

    const writes: [Caller, Method, string, object][] = [
      [acme.owner, 'PATCH', '/api/v1/account', { showVisitorIp: true }],
      [acme.owner, 'POST', '/api/v1/canned-responses', { shortcut: 'hi', title: 'Hi', body: 'Hello' }],
      [acme.owner, 'POST', '/api/v1/api-tokens', { name: 'More', scope: 'read' }],
      [token, 'POST', '/api/v1/canned-responses', { shortcut: 'hi', title: 'Hi', body: 'Hello' }],
    ];
    for (const [caller, method, url, payload] of writes) {
      const response = await call(caller, method, url, payload);
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(errorOf(response).code).toBe('account_terminated');
    }
    // A forged write is still refused for what it is.
    const forged = await call({ ...acme.owner, headers: {} }, 'PATCH', '/api/v1/account', { name: 'x' });
    expect(errorOf(forged).code).toBe('csrf_failed');

    for (const url of ['/api/v1/account', '/api/v1/conversations?view=open', '/api/v1/canned-responses']) {
      expect((await call(acme.owner, 'GET', url)).statusCode, url).toBe(200);
      expect((await call(token, 'GET', url)).statusCode, url).toBe(200);
    }
    // Erasure stays possible (P4), and so do the exports: an unknown contact answers as usual.
    expect(errorOf(await call(acme.owner, 'DELETE', `/api/v1/contacts/${randomUUID()}`)).code).toBe('not_found');
    const exported = await call(acme.owner, 'GET', `/api/v1/contacts/${randomUUID()}/export`);
    expect(errorOf(exported).code).toBe('not_found');
    const byEmail = await call(token, 'POST', '/api/v1/exports', { email: 'nobody@acme.test' });
    expect(byEmail.statusCode, byEmail.body).not.toBe(403);
    expect((await call(acme.owner, 'POST', '/api/v1/auth/logout')).statusCode).toBe(204);
    const again = await logInAs(app, { email: acme.email, password: PASSWORD });
    expect((await call(again, 'GET', '/api/v1/account')).json<AccountDto>().status).toBe('terminated');
  });

  it('keeps the export routes, erasure, sign-out and the termination itself writable in the grace period', () => {
    const allowed = [
      ['POST', '/api/v1/auth/logout'],
      ['POST', '/api/v1/account/terminate'],
      ['POST', '/api/v1/exports'],
      ['POST', '/api/v1/exports/:id/cancel'],
      ['POST', '/api/v1/contacts/:id/export'],
      ['DELETE', '/api/v1/contacts/:id'],
      ['DELETE', '/api/v1/conversations/:id'],
      ['DELETE', '/api/v1/conversations/:id/messages/:messageId'],
    ];
    for (const [method = '', url = ''] of allowed) expect(writesDuringGracePeriod({ method, url }), url).toBe(true);
    const refused = [
      ['PATCH', '/api/v1/account'],
      ['POST', '/api/v1/canned-responses'],
      ['DELETE', '/api/v1/api-tokens/:id'],
      ['PATCH', '/api/v1/contacts/:id'],
      ['POST', '/api/v1/exportsx'],
    ];
    for (const [method = '', url = ''] of refused) expect(writesDuringGracePeriod({ method, url }), url).toBe(false);
  });

  it('stops the widget: no config or window, no visitor session, no visitor socket, nothing new from an open window', async () => {
    const earlier = await sessionOf();
    const window = await SocketClient.open<VisitorServerFrame>(
      `${base}/ws/v1/visitor?token=${encodeURIComponent(earlier.token)}`,
    );
    sockets.push(window);
    await window.next('welcome');
    expect((await terminate(acme.owner, 'Acme')).statusCode).toBe(200);

    for (const url of [`/widget/v1/config/${acme.publicKey}.json`, `/widget/v1/window/${acme.publicKey}.html`]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    const session = await app.inject({
      method: 'POST',
      url: '/api/v1/visitor-sessions',
      payload: { publicKey: acme.publicKey },
    });
    expect(session.statusCode).toBe(403);
    expect(errorOf(session).code).toBe('account_terminated');
    await expect(SocketClient.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(earlier.token)}`)).rejects.toThrow(
      'upgrade refused with 403',
    );
    const ref = randomUUID();
    window.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    expect(await window.next('error', (f) => f.ref === ref)).toMatchObject({ code: 'account_terminated' });
    expect(await t.ctx.database.db.selectFrom('conversations').select('id').execute()).toEqual([]);
  });

  it("answers account_terminated to an operator socket's writes, keeps its reads, and writes again once restored", async () => {
    const socket = await operatorSocket();
    expect((await terminate(acme.owner, 'Acme')).statusCode).toBe(200);

    socket.send({ type: 'presence.set', status: 'online' });
    expect(await socket.next('error')).toMatchObject({ code: 'account_terminated' });
    socket.send({ type: 'ping' });
    await socket.next('pong');

    await restoreAccount(t.ctx, { by: { kind: 'cli', accountId: acme.accountId } });
    socket.send({ type: 'presence.set', status: 'online' });
    expect(await socket.next('presence')).toMatchObject({ status: 'online' });
    expect((await app.inject({ method: 'GET', url: `/widget/v1/config/${acme.publicKey}.json` })).statusCode).toBe(200);
    expect((await sessionOf()).token).toBeTruthy();
  });
});
