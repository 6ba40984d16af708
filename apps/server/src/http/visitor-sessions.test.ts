import type { ErrorBody, VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { authenticateVisitor, VISITOR_TOKEN_TTL_MS } from '../domain/visitors/start-visitor-session.js';
import { setWidgetSettings } from '../test-support/fixtures.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

describe('POST /api/v1/visitor-sessions', () => {
  let t: TestContext;
  let app: App;
  let publicKey: string;
  let accountId: string;
  let widgetId: string;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    publicKey = created.widget.publicKey;
    accountId = created.accountId;
    widgetId = created.widget.id;
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  const start = (body: unknown) =>
    app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: body as object });

  it('starts an anonymous visitor session with a token for its account and widget, and sets no cookie', async () => {
    const response = await start({ publicKey });
    expect(response.statusCode).toBe(201);
    expect(response.headers['set-cookie']).toBeUndefined();
    const session = response.json<VisitorSessionDto>();
    expect(session.expiresAt).toBe(t.clock.now() + VISITOR_TOKEN_TTL_MS);
    const claims = await authenticateVisitor(t.ctx, session.token);
    expect(claims).toMatchObject({ accountId, visitorId: session.visitorId });
    const visitors = await t.ctx.database.db.selectFrom('visitors').selectAll().execute();
    expect(visitors).toHaveLength(1);
    expect(Object.keys(visitors[0]!).sort()).toEqual(['account_id', 'created_at', 'id', 'last_seen_at', 'widget_id']);
  });

  it('refuses an expired token with session_expired and a forged one with unauthenticated', async () => {
    const session = (await start({ publicKey })).json<VisitorSessionDto>();
    t.clock.advance(VISITOR_TOKEN_TTL_MS);
    await expect(authenticateVisitor(t.ctx, session.token)).rejects.toMatchObject({ code: 'session_expired' });
    const [prefix, payload] = session.token.split('.');
    await expect(authenticateVisitor(t.ctx, `${prefix}.${payload}.AAAA`)).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('answers 404 for an unknown widget key and 400 for something that is not a key', async () => {
    const unknown = await start({ publicKey: 'pk_AAAAAAAAAAAAAAAAAAAAAA' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<ErrorBody>().error.code).toBe('not_found');
    const malformed = await start({ publicKey: 'hello' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<ErrorBody>().error.code).toBe('validation_failed');
    expect(await t.ctx.database.db.selectFrom('visitors').selectAll().execute()).toHaveLength(0);
  });

  it('limits visitor sessions per client address, and other addresses go on', async () => {
    const from = (remoteAddress: string) =>
      app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey }, remoteAddress });
    for (let i = 0; i < t.config.visitorSessionsPerMinute; i++) {
      expect((await from('203.0.113.7')).statusCode).toBe(201);
    }
    const refused = await from('203.0.113.7');
    expect(refused.statusCode).toBe(429);
    expect(refused.json<ErrorBody>().error.code).toBe('rate_limited');
    expect(refused.headers['retry-after']).toBe('1');
    expect((await from('198.51.100.4')).statusCode).toBe(201);
  });

  it('takes any number of visitor sessions when VISITOR_SESSIONS_PER_MINUTE is 0', async () => {
    const unlimited = await buildServer({ ...t.ctx, config: { ...t.config, visitorSessionsPerMinute: 0 } });
    try {
      for (let i = 0; i < 100; i++) {
        const response = await unlimited.inject({
          method: 'POST',
          url: '/api/v1/visitor-sessions',
          payload: { publicKey },
        });
        expect(response.statusCode).toBe(201);
      }
    } finally {
      await unlimited.close();
    }
  });

  it("refuses a site that is not among the widget's allowed origins, and a session that names no site, with 403", async () => {
    await setWidgetSettings(t.ctx, { widgetId, settings: { allowedOrigins: ['https://www.acme.test'] } });
    const foreign = await start({ publicKey, siteOrigin: 'https://evil.test' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json<ErrorBody>().error).toMatchObject({
      code: 'origin_not_allowed',
      message: "This site (https://evil.test) may not embed this widget; add it to the widget's allowed origins",
    });
    for (const siteOrigin of [undefined, 'https://www.acme.test/shop', 'https://acme.test']) {
      const refused = await start({ publicKey, siteOrigin });
      expect(refused.statusCode, String(siteOrigin)).toBe(403);
      expect(refused.json<ErrorBody>().error.code).toBe('origin_not_allowed');
    }
    expect(await t.ctx.database.db.selectFrom('visitors').selectAll().execute()).toHaveLength(0);
  });

  it('takes an allowed origin written in any case, and any site while the list is empty', async () => {
    expect((await start({ publicKey, siteOrigin: 'https://anywhere.test' })).statusCode).toBe(201);
    expect((await start({ publicKey })).statusCode).toBe(201);
    await setWidgetSettings(t.ctx, {
      widgetId,
      settings: { allowedOrigins: ['https://www.acme.test', 'http://localhost:8080'] },
    });
    expect((await start({ publicKey, siteOrigin: 'https://WWW.Acme.test' })).statusCode).toBe(201);
    expect((await start({ publicKey, siteOrigin: 'http://localhost:8080' })).statusCode).toBe(201);
    expect((await start({ publicKey, siteOrigin: 'http://localhost:8081' })).statusCode).toBe(403);
  });

  it('stops serving the widget of a terminated account', async () => {
    await t.ctx.database.db.updateTable('accounts').set({ status: 'terminated' }).where('id', '=', accountId).execute();
    expect((await start({ publicKey })).statusCode).toBe(403);
  });
});
