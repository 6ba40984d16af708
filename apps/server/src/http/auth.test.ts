import type { ApiTokenDto, ErrorBody, OperatorDto, SessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const OWNER = { email: 'owner@acme.test', password: 'correct horse battery' };
const FIFTEEN_MINUTES_MS = 15 * 60_000;

interface Session {
  cookies: Record<string, string>;
  headers: Record<string, string>;
}

function errorOf(response: LightMyRequestResponse): ErrorBody['error'] {
  return response.json<ErrorBody>().error;
}

function logInRequest(app: App, body: Record<string, string>): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body });
}

/** The cookie and CSRF header of a successful login answer. */
function sessionOf(response: LightMyRequestResponse): Session {
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'plauder_session');
  expect(cookie).toBeDefined();
  return {
    cookies: { plauder_session: cookie!.value },
    headers: { 'x-csrf-token': response.json<SessionDto>().csrfToken },
  };
}

/** A current TOTP code, as an authenticator app at the test clock's time shows it. */
function totpCode(secret: string, now: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(now / 1000) });
}

/** A 6-digit code that is valid in no step the server accepts at `now`. */
async function wrongTotpCode(secret: string, now: number): Promise<string> {
  const valid = new Set(await Promise.all([-30_000, 0, 30_000].map((offset) => totpCode(secret, now + offset))));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

describe('HTTP authentication', () => {
  let t: TestContext;
  let app: App;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: OWNER.email, displayName: 'Ada Owner', password: OWNER.password },
      actor: { kind: 'cli', id: null },
    });
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  it('sets an HttpOnly, SameSite=Lax session cookie without Secure over http and returns a CSRF token', async () => {
    const response = await logInRequest(app, OWNER);
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'plauder_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    // A browser-session cookie: the server alone decides when the session ends, sliding it on use.
    expect(cookie?.maxAge).toBeUndefined();
    expect(cookie?.expires).toBeUndefined();
    expect(cookie?.value).toMatch(/^pls_/);
    const body = response.json<SessionDto>();
    expect(body.csrfToken).toMatch(/^[\w-]{43}$/);
    expect(body.csrfToken).not.toBe(cookie?.value);
    expect(body.operator).toMatchObject({ email: OWNER.email, role: 'owner', totpEnabled: false });
    expect(body.expiresAt).toBe(t.clock.now() + 720 * 60_000);
  });

  it('marks the session cookie Secure when PUBLIC_URL is https', async () => {
    const https = await createTestContext({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const secureApp = await buildServer(https.ctx);
    try {
      await createAccount(https.ctx, {
        name: 'Secure',
        plan: 'standard',
        owner: { email: OWNER.email, displayName: 'Ada', password: OWNER.password },
        actor: { kind: 'cli', id: null },
      });
      const response = await logInRequest(secureApp, OWNER);
      expect(response.statusCode).toBe(200);
      expect(response.cookies.find((c) => c.name === 'plauder_session')).toMatchObject({
        httpOnly: true,
        sameSite: 'Lax',
        secure: true,
      });
    } finally {
      await secureApp.close();
      await https.cleanup();
    }
  });

  it('shows the session of the cookie at GET /api/v1/auth/session', async () => {
    const login = await logInRequest(app, OWNER);
    const session = sessionOf(login);
    const response = await app.inject({ method: 'GET', url: '/api/v1/auth/session', cookies: session.cookies });
    expect(response.statusCode).toBe(200);
    const body = response.json<SessionDto>();
    expect(body.operator.email).toBe(OWNER.email);
    expect(body.csrfToken).toBe(session.headers['x-csrf-token']);

    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/auth/session' });
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous).code).toBe('unauthenticated');
    const forged = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/session',
      cookies: { plauder_session: 'pls_forged' },
    });
    expect(forged.statusCode).toBe(401);
  });

  it('answers a wrong password and an unknown email alike with 401 invalid_credentials', async () => {
    const wrongPassword = await logInRequest(app, { email: OWNER.email, password: 'wrong password!' });
    const unknownEmail = await logInRequest(app, { email: 'nobody@acme.test', password: OWNER.password });
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    expect(errorOf(wrongPassword)).toMatchObject({ code: 'invalid_credentials', message: 'Wrong email or password' });
    expect(errorOf(unknownEmail)).toMatchObject({ code: 'invalid_credentials', message: 'Wrong email or password' });
    expect(wrongPassword.cookies).toEqual([]);
  });

  it('refuses logins for an email after five failures, even with the right password, until 15 minutes pass', async () => {
    for (let i = 0; i < 5; i++) {
      const failed = await logInRequest(app, { email: OWNER.email, password: `wrong password ${i}` });
      expect(errorOf(failed).code).toBe('invalid_credentials');
    }
    const sixth = await logInRequest(app, { email: OWNER.email, password: 'wrong password 6' });
    expect(sixth.statusCode).toBe(429);
    expect(errorOf(sixth).code).toBe('too_many_attempts');
    expect(sixth.headers['retry-after']).toBe('900');

    const right = await logInRequest(app, OWNER);
    expect(right.statusCode).toBe(429);
    expect(right.cookies).toEqual([]);

    t.clock.advance(FIFTEEN_MINUTES_MS - 60_000);
    const stillBlocked = await logInRequest(app, OWNER);
    expect(stillBlocked.statusCode).toBe(429);
    expect(stillBlocked.headers['retry-after']).toBe('60');

    t.clock.advance(60_000);
    expect((await logInRequest(app, OWNER)).statusCode).toBe(200);
  });

  it('lets no more than five of many parallel guesses for one email reach the password check', async () => {
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => logInRequest(app, { email: OWNER.email, password: `parallel guess ${i}` })),
    );
    const codes = guesses.map((g) => errorOf(g).code);
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(5);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(25);
  });

  it('takes a successful login back from the count, so a user who mistypes once is not locked out', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) await logInRequest(app, { email: OWNER.email, password: 'mistyped password' });
      expect((await logInRequest(app, OWNER)).statusCode).toBe(200);
    }
  });

  it('counts failures per email, so another operator can still log in from the same client', async () => {
    const other = { email: 'other@acme.test', password: 'another long password' };
    await createOperatorAsOwner(other.email, other.password);
    for (let i = 0; i < 6; i++) await logInRequest(app, { email: OWNER.email, password: 'wrong password' });
    expect((await logInRequest(app, OWNER)).statusCode).toBe(429);
    expect((await logInRequest(app, other)).statusCode).toBe(200);
  });

  it('refuses a client after 20 failures across emails, while other clients still log in', async () => {
    const from = (remoteAddress: string, body: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: body });
    for (let i = 0; i < 20; i++) {
      const failed = await from('198.51.100.9', { email: `guess${i}@acme.test`, password: 'wrong password' });
      expect(failed.statusCode).toBe(401);
    }
    const blocked = await from('198.51.100.9', OWNER);
    expect(blocked.statusCode).toBe(429);
    expect(errorOf(blocked).code).toBe('too_many_attempts');
    expect((await from('198.51.100.10', OWNER)).statusCode).toBe(200);
  });

  it('asks for the TOTP code once two-factor login is on, and accepts only the right one', async () => {
    const session = sessionOf(await logInRequest(app, OWNER));
    const setup = await app.inject({ method: 'POST', url: '/api/v1/auth/totp/setup', ...session });
    expect(setup.statusCode).toBe(200);
    const { secret, uri } = setup.json<{ secret: string; uri: string }>();
    expect(uri).toContain(`secret=${secret}`);

    const enableWrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enable',
      ...session,
      payload: { code: await wrongTotpCode(secret, t.clock.now()) },
    });
    expect(errorOf(enableWrong).code).toBe('totp_invalid');
    const enable = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enable',
      ...session,
      payload: { code: await totpCode(secret, t.clock.now()) },
    });
    expect(enable.statusCode).toBe(204);

    t.clock.advance(60_000);
    const withoutCode = await logInRequest(app, OWNER);
    expect(withoutCode.statusCode).toBe(401);
    expect(errorOf(withoutCode).code).toBe('totp_required');
    expect(withoutCode.cookies).toEqual([]);

    const wrongCode = await logInRequest(app, { ...OWNER, totp: await wrongTotpCode(secret, t.clock.now()) });
    expect(wrongCode.statusCode).toBe(401);
    expect(errorOf(wrongCode).code).toBe('totp_invalid');
    expect(wrongCode.cookies).toEqual([]);

    const wrongPasswordRightCode = await logInRequest(app, {
      email: OWNER.email,
      password: 'wrong password',
      totp: await totpCode(secret, t.clock.now()),
    });
    expect(errorOf(wrongPasswordRightCode).code).toBe('invalid_credentials');

    const rightCode = await logInRequest(app, { ...OWNER, totp: await totpCode(secret, t.clock.now()) });
    expect(rightCode.statusCode).toBe(200);
    expect(rightCode.json<SessionDto>().operator.totpEnabled).toBe(true);
  });

  it('accepts each TOTP code once, so a code seen by someone else cannot be replayed', async () => {
    const session = sessionOf(await logInRequest(app, OWNER));
    const setup = await app.inject({ method: 'POST', url: '/api/v1/auth/totp/setup', ...session });
    const { secret } = setup.json<{ secret: string }>();
    const enableCode = await totpCode(secret, t.clock.now());
    const enable = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enable',
      ...session,
      payload: { code: enableCode },
    });
    expect(enable.statusCode).toBe(204);
    const replayedEnableCode = await logInRequest(app, { ...OWNER, totp: enableCode });
    expect(errorOf(replayedEnableCode).code).toBe('totp_invalid');

    t.clock.advance(30_000);
    const code = await totpCode(secret, t.clock.now());
    expect((await logInRequest(app, { ...OWNER, totp: code })).statusCode).toBe(200);
    const replay = await logInRequest(app, { ...OWNER, totp: code });
    expect(replay.statusCode).toBe(401);
    expect(errorOf(replay).code).toBe('totp_invalid');
  });

  it('ends a session after SESSION_TTL_MINUTES without use, and keeps a used one alive', async () => {
    const short = await createTestContext({ env: { SESSION_TTL_MINUTES: '30' } });
    const shortApp = await buildServer(short.ctx);
    try {
      await createAccount(short.ctx, {
        name: 'Short',
        plan: 'standard',
        owner: { email: OWNER.email, displayName: 'Ada', password: OWNER.password },
        actor: { kind: 'cli', id: null },
      });
      const session = sessionOf(await logInRequest(shortApp, OWNER));
      const check = () => shortApp.inject({ method: 'GET', url: '/api/v1/operators', cookies: session.cookies });

      short.clock.advance(20 * 60_000);
      expect((await check()).statusCode).toBe(200);
      // The use above moved the expiry to 30 minutes after it.
      short.clock.advance(20 * 60_000);
      expect((await check()).statusCode).toBe(200);

      short.clock.advance(30 * 60_000 + 1);
      const expired = await check();
      expect(expired.statusCode).toBe(401);
      expect(errorOf(expired).code).toBe('session_expired');
      expect((await check()).statusCode).toBe(401);
    } finally {
      await shortApp.close();
      await short.cleanup();
    }
  });

  it('ends the session on logout', async () => {
    const session = sessionOf(await logInRequest(app, OWNER));
    const other = sessionOf(await logInRequest(app, OWNER));
    const logout = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', ...session });
    expect(logout.statusCode).toBe(204);
    const cleared = logout.cookies.find((c) => c.name === 'plauder_session');
    expect(cleared?.value).toBe('');

    const after = await app.inject({ method: 'GET', url: '/api/v1/auth/session', cookies: session.cookies });
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).code).toBe('unauthenticated');
    const otherSession = await app.inject({ method: 'GET', url: '/api/v1/auth/session', cookies: other.cookies });
    expect(otherSession.statusCode).toBe(200);
  });

  it('refuses cookie-authenticated writes without the CSRF token of their session', async () => {
    const session = sessionOf(await logInRequest(app, OWNER));
    const other = sessionOf(await logInRequest(app, OWNER));
    const payload = { email: 'new@acme.test', displayName: 'New', password: 'a long password' };
    const attempts = [
      {},
      { 'x-csrf-token': 'not-the-token' },
      { 'x-csrf-token': other.headers['x-csrf-token']! },
      { 'x-csrf-token': '' },
    ];
    for (const headers of attempts) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/operators',
        cookies: session.cookies,
        headers,
        payload,
      });
      expect(response.statusCode).toBe(403);
      expect(errorOf(response).code).toBe('csrf_failed');
    }
    const list = await app.inject({ method: 'GET', url: '/api/v1/operators', cookies: session.cookies });
    expect(list.json<{ operators: OperatorDto[] }>().operators.map((o) => o.email)).toEqual([OWNER.email]);

    const created = await app.inject({ method: 'POST', url: '/api/v1/operators', ...session, payload });
    expect(created.statusCode).toBe(201);
  });

  it('audits logins, failures, tokens, operators, roles and 2FA without emails or passwords', async () => {
    const unknownEmail = 'stranger@elsewhere.test';
    const wrongPassword = 'wrong password 123';
    await logInRequest(app, { email: OWNER.email, password: wrongPassword });
    await logInRequest(app, { email: unknownEmail, password: wrongPassword });
    const session = sessionOf(await logInRequest(app, OWNER));
    await createApiTokenAsOwner(session);
    const newOperator = { email: 'operator@acme.test', password: 'operator password' };
    const operator = await createOperatorAsOwner(newOperator.email, newOperator.password, session);
    const role = await app.inject({
      method: 'PUT',
      url: `/api/v1/operators/${operator.id}/role`,
      ...session,
      payload: { role: 'admin' },
    });
    expect(role.statusCode).toBe(200);
    const setup = await app.inject({ method: 'POST', url: '/api/v1/auth/totp/setup', ...session });
    const { secret } = setup.json<{ secret: string }>();
    const enable = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enable',
      ...session,
      payload: { code: await totpCode(secret, t.clock.now()) },
    });
    expect(enable.statusCode).toBe(204);

    const response = await app.inject({ method: 'GET', url: '/api/v1/audit-log', cookies: session.cookies });
    expect(response.statusCode).toBe(200);
    const { entries } = response.json<{ entries: { action: string; actorId: string | null; targetIds: string[] }[] }>();
    expect(entries.map((e) => e.action)).toEqual([
      'auth.totp-enabled',
      'operator.role-changed',
      'operator.created',
      'api-token.created',
      'auth.logged-in',
      'auth.login-failed',
      'account.created',
    ]);
    expect(entries.find((e) => e.action === 'operator.role-changed')?.targetIds).toEqual([operator.id]);
    // Whoever failed to log in is unknown: the operator whose login failed is the target, not the actor.
    const failed = entries.find((e) => e.action === 'auth.login-failed');
    expect(failed?.actorId).toBeNull();
    expect(failed?.targetIds).toHaveLength(1);

    // The raw table too: the failure for the unknown email belongs to no account, so the API never lists it.
    const rows = await t.ctx.database.db.selectFrom('audit_log').selectAll().execute();
    expect(rows.filter((r) => r.action === 'auth.login-failed')).toHaveLength(2);
    for (const text of [JSON.stringify(entries), JSON.stringify(rows)]) {
      for (const secretText of [
        OWNER.email,
        OWNER.password,
        unknownEmail,
        wrongPassword,
        newOperator.email,
        newOperator.password,
        secret,
        'acme.test',
      ]) {
        expect(text).not.toContain(secretText);
      }
    }
  });

  /** Creates an operator through the API as the owner. */
  async function createOperatorAsOwner(email: string, password: string, session?: Session): Promise<OperatorDto> {
    const owner = session ?? sessionOf(await logInRequest(app, OWNER));
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/operators',
      ...owner,
      payload: { email, displayName: 'Someone', password, role: 'operator' },
    });
    expect(response.statusCode).toBe(201);
    return response.json<OperatorDto>();
  }

  /** Creates an API token through the API as the owner. */
  async function createApiTokenAsOwner(session?: Session): Promise<{ token: ApiTokenDto; secret: string }> {
    const owner = session ?? sessionOf(await logInRequest(app, OWNER));
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/api-tokens',
      ...owner,
      payload: { name: 'Reports', scope: 'read' },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ token: ApiTokenDto; secret: string }>();
  }
});
