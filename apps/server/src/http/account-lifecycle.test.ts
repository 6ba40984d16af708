import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type {
  AccountDto,
  IssuedOperatorInvitationDto,
  OperatorServerFrame,
  VisitorServerFrame,
  VisitorSessionDto,
} from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { restoreAccount } from '../domain/accounts/restore-account.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { authenticateVisitor } from '../domain/visitors/start-visitor-session.js';
import { ACCOUNT_TERMINATED_CLOSE_CODE } from '../realtime/visitor-connection.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const DAY_MS = 24 * 60 * 60 * 1000;
// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * Every write route the server registers, and whether it works in a terminated account's grace
 * period. A route the server registers and this list lacks fails the first test below: decide, add it
 * here, and (for a route behind the writes guard) to GRACE_PERIOD_WRITES in auth.ts when it is allowed.
 */
const GRACE_PERIOD: Record<string, 'allowed' | 'refused'> = {
  // Outside the writes guard: the use case decides. Signing in stays, anything that adds does not.
  'POST /api/v1/auth/login': 'allowed',
  'POST /api/v1/invitations/accept': 'refused',
  'POST /api/v1/visitor-sessions': 'refused',
  'POST /api/v1/visitor/conversations/:conversationId/attachments': 'refused',
  // Signing out, the termination itself (it answers conflict), the exports, and erasure in every
  // form with the jobs it starts (P4 holds at any time).
  'POST /api/v1/auth/logout': 'allowed',
  'POST /api/v1/account/terminate': 'allowed',
  'POST /api/v1/exports': 'allowed',
  'DELETE /api/v1/contacts/:id': 'allowed',
  'DELETE /api/v1/conversations/:id/messages/:messageId': 'allowed',
  'POST /api/v1/deletions': 'allowed',
  'DELETE /api/v1/widgets/:widgetId/conversations': 'allowed',
  'DELETE /api/v1/widgets/:widgetId': 'allowed',
  'POST /api/v1/jobs/:id/cancel': 'allowed',
  // POSTs that change nothing (config readsOnly): their input belongs in a body, not a URL.
  'POST /api/v1/search': 'allowed',
  'POST /api/v1/contacts/find': 'allowed',
  'POST /api/v1/deletions/preview': 'allowed',
  // The rest adds or changes something: the account is read-only.
  'PATCH /api/v1/account': 'refused',
  'PUT /api/v1/account/functions/:function': 'refused',
  'POST /api/v1/auth/totp/setup': 'refused',
  'POST /api/v1/auth/totp/enable': 'refused',
  'POST /api/v1/auth/totp/disable': 'refused',
  'POST /api/v1/api-tokens': 'refused',
  'DELETE /api/v1/api-tokens/:id': 'allowed',
  'POST /api/v1/operators': 'refused',
  'DELETE /api/v1/operators/:id': 'allowed',
  'PUT /api/v1/operators/:id/role': 'refused',
  'PUT /api/v1/operators/:id/capacity': 'refused',
  'POST /api/v1/operator-invitations': 'refused',
  'DELETE /api/v1/operator-invitations/:id': 'allowed',
  'PATCH /api/v1/contacts/:id': 'refused',
  'POST /api/v1/conversations/:conversationId/attachments': 'refused',
  'POST /api/v1/canned-responses': 'refused',
  'PATCH /api/v1/canned-responses/:id': 'refused',
  'DELETE /api/v1/canned-responses/:id': 'refused',
  'POST /api/v1/widgets': 'refused',
  'PATCH /api/v1/widgets/:widgetId': 'refused',
  'POST /api/v1/webhooks': 'refused',
  'PATCH /api/v1/webhooks/:id': 'refused',
  'POST /api/v1/webhooks/:id/secret': 'refused',
  // Removing an endpoint stops data leaving the installation, as revoking a token stops access.
  'DELETE /api/v1/webhooks/:id': 'allowed',
  // Sends a message's text to the translation service: nothing goes out of a terminated account.
  'POST /api/v1/conversations/:conversationId/messages/:messageId/translation': 'refused',
};

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
  async function visitorSocket(token: string): Promise<SocketClient<VisitorServerFrame>> {
    const socket = await SocketClient.open<VisitorServerFrame>(
      `${base}/ws/v1/visitor?token=${encodeURIComponent(token)}`,
    );
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }
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

  /** Every write route the server registers, as `METHOD /path`: printRoutes lists one method's routes whole. */
  function registeredWrites(): string[] {
    const writes: string[] = [];
    for (const method of app.supportedMethods) {
      if (['GET', 'HEAD', 'OPTIONS'].includes(method)) continue;
      const parents: string[] = [];
      for (const line of app.printRoutes({ method, commonPrefix: false }).split('\n')) {
        // "├── /api/v1/deletions (POST)", then "│   └── /preview (POST)" beneath it.
        const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
        if (!match) continue;
        const depth = (match[1] ?? '').length / 4;
        const path = (parents[depth - 1] ?? '') + (match[2] ?? '');
        parents.splice(depth, Infinity, path);
        if (match[3]?.split(', ').includes(method)) writes.push(`${method} ${path}`);
      }
    }
    return writes.sort();
  }

  /** A write as the owner, with fresh ids for the route's parameters and an empty body. */
  function ownerWrite(route: string): Promise<LightMyRequestResponse> {
    const [method = '', pattern = ''] = route.split(' ');
    const url = pattern.replace(/:[^/]+/g, () => randomUUID());
    // Safe: every classified route is a POST, PUT, PATCH or DELETE (registeredWrites found no other).
    return call(acme.owner, method as Method, url, method === 'DELETE' ? undefined : {});
  }

  it('classifies every write route the server registers, and each answers in the grace period as classified', async () => {
    expect(registeredWrites()).toEqual(Object.keys(GRACE_PERIOD).sort());

    // What the public routes need, made while the account is active: an invitation and a conversation.
    const invited = await call(acme.owner, 'POST', '/api/v1/operator-invitations', {
      email: 'nora@acme.test',
      role: 'operator',
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const invitationToken = invited.json<IssuedOperatorInvitationDto>().inviteUrl.split('#')[1] ?? '';
    const { token } = await sessionOf();
    const visitor = await authenticateVisitor(t.ctx, token);
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    expect((await terminate(acme.owner, 'Acme')).statusCode).toBe(200);

    const publicWrites: Record<string, () => Promise<LightMyRequestResponse>> = {
      'POST /api/v1/auth/login': () =>
        app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: acme.email, password: PASSWORD } }),
      'POST /api/v1/invitations/accept': () =>
        app.inject({
          method: 'POST',
          url: '/api/v1/invitations/accept',
          payload: { token: invitationToken, displayName: 'Nora', password: 'a new long password' },
        }),
      'POST /api/v1/visitor-sessions': () =>
        app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey: acme.publicKey } }),
      'POST /api/v1/visitor/conversations/:conversationId/attachments': () =>
        app.inject({
          method: 'POST',
          url: `/api/v1/visitor/conversations/${conversationId}/attachments?clientMessageId=${randomUUID()}&fileName=dot.png`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
          payload: PNG,
        }),
    };
    // Signing out last: it ends the session the other writes are sent with.
    const routes = Object.keys(GRACE_PERIOD).sort(
      (a, b) => Number(a.endsWith('/logout')) - Number(b.endsWith('/logout')),
    );
    for (const route of routes) {
      const response = await (publicWrites[route] ?? (() => ownerWrite(route)))();
      const code = response.statusCode >= 400 ? errorOf(response).code : 'none';
      if (GRACE_PERIOD[route] === 'refused') {
        expect([response.statusCode, code], route).toEqual([403, 'account_terminated']);
      } else {
        expect(code, route).not.toBe('account_terminated');
        expect(response.statusCode, `${route}: ${response.body}`).toBeLessThan(500);
      }
    }
    const db = t.ctx.database.db;
    expect(await db.selectFrom('operators').select('id').execute()).toHaveLength(1);
    expect(await db.selectFrom('attachments').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('messages').select('id').execute()).toEqual([]);
  });

  it('turns the widget off: no config, window or session, and an open window is closed and reopens to read only', async () => {
    const earlier = await sessionOf();
    const window = await visitorSocket(earlier.token);
    expect((await terminate(acme.owner, 'Acme')).statusCode).toBe(200);

    expect(await window.closed()).toBe(ACCOUNT_TERMINATED_CLOSE_CODE);
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
    // The token it had still opens a socket: its window may read and erase, and starts nothing.
    const reopened = await visitorSocket(earlier.token);
    const ref = randomUUID();
    reopened.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    expect(await reopened.next('error', (f) => f.ref === ref)).toMatchObject({ code: 'account_terminated' });
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
