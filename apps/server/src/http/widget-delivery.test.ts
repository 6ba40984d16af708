import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WidgetConfig, type ErrorBody } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { exportWidgetFiles } from '../domain/widgets/export-widget-files.js';
import { capturingLogger } from '../test-support/capturing-logger.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { etagOf, matchesEtag } from './routes/widget-delivery.js';
import { buildServer, type App } from './server.js';

describe(`the widget's CDN-ready config (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let lines: string[];
  let publicKey: string;
  let accountId: string;
  beforeEach(async () => {
    const capture = capturingLogger({ level: 'info' });
    lines = capture.lines;
    t = await createTestContext({ logger: capture.logger, env: { PUBLIC_URL: 'https://chat.acme.test' } });
    app = await buildServer(t.ctx);
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    publicKey = created.widget.publicKey;
    accountId = created.accountId;
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  const get = (key: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `/widget/v1/config/${key}.json`, headers, remoteAddress: '203.0.113.77' });

  const setSettings = (settings: object) =>
    t.ctx.database.db
      .updateTable('widgets')
      .set({ settings: JSON.stringify(settings) })
      .where('public_key', '=', publicKey)
      .execute();

  it('serves the settings with their defaults, where to chat, CORS for any site and a minute of caching', async () => {
    const response = await get(publicKey);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=600');
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(response.headers['set-cookie']).toBeUndefined();
    const config = WidgetConfig.parse(response.json());
    expect(config).toMatchObject({
      v: 1,
      publicKey,
      apiUrl: 'https://chat.acme.test',
      color: '#2f6fed',
      position: 'right',
      language: 'auto',
      allowedOrigins: [],
      privacy: { optIn: true, policyUrl: null, noticeText: null, noticeVersion: null },
    });
    expect(JSON.stringify(config)).not.toContain(accountId);
  });

  it('answers 304 to the ETag it gave, and a new ETag once the settings change', async () => {
    const first = await get(publicKey);
    const etag = String(first.headers.etag);
    const again = await get(publicKey, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=600');
    expect((await get(publicKey, { 'if-none-match': `"other", W/${etag}` })).statusCode).toBe(304);

    await setSettings({ color: '#aa3300', language: 'de', allowedOrigins: ['https://www.acme.test'] });
    const changed = await get(publicKey, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json()).toMatchObject({
      color: '#aa3300',
      language: 'de',
      allowedOrigins: ['https://www.acme.test'],
    });
  });

  it('answers the same to a request with cookies, and reads, writes and logs nothing of the visitor', async () => {
    const before = await rowsAVisitWouldWrite();
    const plain = await get(publicKey);
    const withCookies = await get(publicKey, { cookie: 'plauder_session=abc; tracking=xyz' });
    expect(withCookies.statusCode).toBe(200);
    expect(withCookies.body).toBe(plain.body);
    expect(withCookies.headers.etag).toBe(plain.headers.etag);
    expect(withCookies.headers['set-cookie']).toBeUndefined();
    expect(withCookies.headers.vary).toBeUndefined();
    expect(await rowsAVisitWouldWrite()).toEqual(before);

    await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.77' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; path?: string; client?: string });
    const requests = logged.filter((line) => line.msg === 'request');
    expect(requests.filter((line) => line.path?.startsWith('/widget/'))).toHaveLength(2);
    for (const line of requests.filter((l) => l.path?.startsWith('/widget/')))
      expect(line).not.toHaveProperty('client');
    // Other routes still log the truncated address: the omission is the widget's alone.
    expect(requests.find((line) => line.path === '/healthz')).toMatchObject({ client: '203.0.113.0/24' });
    expect(lines.join('\n')).not.toContain('203.0.113.77');
  });

  /** What a request that touched the database for a visitor would leave: visitors, audit lines, the widget's row. */
  async function rowsAVisitWouldWrite() {
    const db = t.ctx.database.db;
    return {
      visitors: await db.selectFrom('visitors').selectAll().execute(),
      audit: await db.selectFrom('audit_log').select('id').execute(),
      widgets: await db.selectFrom('widgets').selectAll().execute(),
    };
  }

  it("answers an unknown, malformed or terminated account's key with a cacheable 404", async () => {
    for (const key of ['pk_unknownunknownunknown', 'not-a-key', `${publicKey}x`]) {
      const response = await get(key);
      expect(response.statusCode).toBe(404);
      expect(response.json<ErrorBody>().error.code).toBe('not_found');
      expect(response.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=600');
      expect(response.headers['access-control-allow-origin']).toBe('*');
    }
    expect((await app.inject({ method: 'GET', url: `/widget/v1/config/${publicKey}` })).statusCode).toBe(404);
    await t.ctx.database.db.updateTable('accounts').set({ status: 'terminated' }).where('id', '=', accountId).execute();
    expect((await get(publicKey)).statusCode).toBe(404);
  });

  it('exports the config file with the bytes and so the ETag it serves', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plauder-cdn-'));
    try {
      await exportWidgetFiles(t.ctx, dir);
      const exported = readFileSync(path.join(dir, `widget/v1/config/${publicKey}.json`));
      const served = await get(publicKey);
      expect(exported.toString('utf8')).toBe(served.body);
      expect(etagOf(exported)).toBe(served.headers.etag);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails rather than serve settings that do not parse, which could lift a site restriction', async () => {
    await setSettings({ allowedOrigins: 'https://www.acme.test' });
    expect((await get(publicKey)).statusCode).toBe(500);
  });
});

describe('If-None-Match', () => {
  it('matches the ETag among several, weak or strong, and *', () => {
    expect(matchesEtag(undefined, '"a"')).toBe(false);
    expect(matchesEtag('"a"', '"a"')).toBe(true);
    expect(matchesEtag('"b", W/"a"', '"a"')).toBe(true);
    expect(matchesEtag('*', '"a"')).toBe(true);
    expect(matchesEtag('"b"', '"a"')).toBe(false);
  });
});
