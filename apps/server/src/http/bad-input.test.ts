import { ErrorBody, type SessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const OWNER = { email: 'owner@acme.test', password: 'correct horse battery' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The error of an answer, checked against the one error shape of the API. */
function errorOf(response: LightMyRequestResponse): ErrorBody['error'] {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const parsed = ErrorBody.safeParse(response.json());
  expect(parsed.success, response.body).toBe(true);
  const error = parsed.data!.error;
  expect(error.requestId).toMatch(UUID);
  expect(error.message.length).toBeGreaterThan(10);
  return error;
}

describe('HTTP answers to bad input', () => {
  let t: TestContext;
  let app: App;
  let owner: { cookies: Record<string, string>; headers: Record<string, string> };
  beforeEach(async () => {
    t = await createTestContext({ env: { MAX_BODY_BYTES: '2048' } });
    app = await buildServer(t.ctx);
    await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: OWNER.email, displayName: 'Ada Owner', password: OWNER.password },
      actor: { kind: 'cli', id: null },
    });
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: OWNER });
    expect(login.statusCode).toBe(200);
    owner = {
      cookies: { plauder_session: login.cookies.find((c) => c.name === 'plauder_session')!.value },
      headers: { 'x-csrf-token': login.json<SessionDto>().csrfToken },
    };
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  function postLogin(payload: string, contentType = 'application/json'): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': contentType }, payload });
  }

  it.each([['{"email":'], ['{"email": "owner@acme.test",}'], ['']])(
    'answers the malformed JSON %j with 400 malformed_json',
    async (payload) => {
      const response = await postLogin(payload);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response)).toMatchObject({ code: 'malformed_json', message: 'The body is not valid JSON' });
    },
  );

  it('answers a body over MAX_BODY_BYTES with 413 payload_too_large, naming the limit', async () => {
    const response = await postLogin(JSON.stringify({ email: OWNER.email, password: 'x'.repeat(2100) }));
    expect(response.statusCode).toBe(413);
    const error = errorOf(response);
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain('2048 bytes');

    const justUnder = await postLogin(JSON.stringify({ email: OWNER.email, password: 'x'.repeat(1000) }));
    expect(justUnder.statusCode).toBe(401);
  });

  it('answers fields of the wrong type with 400 validation_failed naming each field', async () => {
    const response = await postLogin(JSON.stringify({ email: 42, password: ['secret'] }));
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('body.email');
    expect(error.message).toContain('body.password');
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'body.email' }),
      expect.objectContaining({ path: 'body.password' }),
    ]);
  });

  it('answers missing fields with 400 validation_failed naming the field', async () => {
    const response = await postLogin(JSON.stringify({ email: OWNER.email }));
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ path: 'body.password' })]);
    expect(error.message).not.toContain('body.email');
  });

  it('answers a body that is not an object with 400 validation_failed about the body itself', async () => {
    const response = await postLogin('[1, 2]');
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ path: 'body' })]);
  });

  it('names the field of an authenticated write that fails validation', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/operators',
      ...owner,
      payload: { email: 'op@acme.test', displayName: 'Op', password: 'long enough password', role: 'king' },
    });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).details).toEqual([expect.objectContaining({ path: 'body.role' })]);

    const limit = await app.inject({ method: 'GET', url: '/api/v1/audit-log?limit=abc', cookies: owner.cookies });
    expect(limit.statusCode).toBe(400);
    expect(errorOf(limit).details).toEqual([expect.objectContaining({ path: 'querystring.limit' })]);
  });

  it('answers an id that is not a UUID with 400 validation_failed', async () => {
    const role = await app.inject({
      method: 'PUT',
      url: '/api/v1/operators/not-a-uuid/role',
      ...owner,
      payload: { role: 'admin' },
    });
    expect(role.statusCode).toBe(400);
    expect(errorOf(role)).toMatchObject({ code: 'validation_failed', details: [{ path: 'params.id' }] });
    const token = await app.inject({ method: 'DELETE', url: "/api/v1/api-tokens/1'%20or%201=1", ...owner });
    expect(token.statusCode).toBe(400);
    expect(errorOf(token).code).toBe('validation_failed');
  });

  it('checks who asks before it reads or validates the body', async () => {
    const stranger = await app.inject({
      method: 'POST',
      url: '/api/v1/operators',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(stranger.statusCode).toBe(401);
    expect(errorOf(stranger).code).toBe('unauthenticated');
    const strangerBadId = await app.inject({
      method: 'PUT',
      url: '/api/v1/operators/not-a-uuid/role',
      payload: { role: 'admin' },
    });
    expect(errorOf(strangerBadId).code).toBe('unauthenticated');
    const forged = await app.inject({
      method: 'POST',
      url: '/api/v1/operators',
      cookies: owner.cookies,
      headers: { 'content-type': 'application/xml' },
      payload: '<operator/>',
    });
    expect(forged.statusCode).toBe(403);
    expect(errorOf(forged).code).toBe('csrf_failed');
  });

  it('answers an unknown route with a JSON 404 route_not_found', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/nothing-here?secret=x' });
    expect(response.statusCode).toBe(404);
    const error = errorOf(response);
    expect(error.code).toBe('route_not_found');
    expect(error.message).toContain('GET /api/v1/nothing-here');
    expect(error.message).not.toContain('secret=x');
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/healthz' });
    expect(wrongMethod.statusCode).toBe(404);
    expect(errorOf(wrongMethod).code).toBe('route_not_found');
  });

  it.each([['application/x-www-form-urlencoded'], ['text/plain'], ['application/xml'], ['multipart/form-data']])(
    'answers a %s body with 415 unsupported_media_type',
    async (contentType) => {
      const response = await postLogin(JSON.stringify(OWNER), contentType);
      expect(response.statusCode).toBe(415);
      expect(errorOf(response)).toMatchObject({
        code: 'unsupported_media_type',
        message: 'Send JSON with content-type: application/json',
      });
      expect(response.cookies).toEqual([]);
    },
  );

  it('gives every error the shape { error: { code, message, requestId } } with a fresh request id', async () => {
    const answers = await Promise.all([
      postLogin('{'),
      postLogin('{}'),
      postLogin(JSON.stringify({ email: OWNER.email, password: 'wrong password' })),
      app.inject({ method: 'GET', url: '/api/v1/operators' }),
      app.inject({ method: 'GET', url: '/nowhere' }),
      app.inject({ method: 'POST', url: '/api/v1/operators', cookies: owner.cookies, payload: {} }),
      app.inject({
        method: 'POST',
        url: '/api/v1/operators',
        payload: '{',
        headers: { 'content-type': 'application/json' },
      }),
      app.inject({ method: 'GET', url: '/api/v1/operators', headers: { authorization: 'Basic x' } }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([400, 400, 401, 401, 404, 403, 401, 401]);
    const ids = answers.map((a) => errorOf(a).requestId);
    expect(new Set(ids).size).toBe(answers.length);
  });

  it('sends the security headers on every answer, and HSTS only under https', async () => {
    const answers = [
      await app.inject({ method: 'GET', url: '/healthz' }),
      await app.inject({ method: 'GET', url: '/' }),
      await app.inject({ method: 'GET', url: '/nowhere' }),
      await postLogin('{'),
      await app.inject({ method: 'GET', url: '/api/v1/operators', cookies: owner.cookies }),
    ];
    for (const response of answers) {
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }

    const https = await createTestContext({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const httpsApp = await buildServer(https.ctx);
    try {
      for (const url of ['/healthz', '/nowhere']) {
        const response = await httpsApp.inject({ method: 'GET', url });
        expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      }
    } finally {
      await httpsApp.close();
      await https.cleanup();
    }
  });

  it('publishes an OpenAPI document of the API', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/login', '/api/v1/operators', '/api/v1/api-tokens']),
    );
    expect(Object.keys(document.paths['/api/v1/operators'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(document.paths['/healthz']).toBeUndefined();
  });

  it('serves the API documentation as HTML', async () => {
    let response = await app.inject({ method: 'GET', url: '/api/docs' });
    for (let hops = 0; response.statusCode >= 300 && response.statusCode < 400 && hops < 3; hops++) {
      response = await app.inject({ method: 'GET', url: String(response.headers.location) });
    }
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('swagger');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers /healthz and /readyz with 200, the latter with the age of the newest verified backup', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ok',
      backup: { newestVerifiedAt: null, ageHours: null, stale: true, lastFailed: false },
      warnings: ['No backup has been verified yet'],
    });
  });
});
