import type { ErrorBody } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { readWidgetBuild } from '../domain/widgets/widget-build.js';
import { capturingLogger } from '../test-support/capturing-logger.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const build = readWidgetBuild();

describe(`the widget's loader, window page and bundles (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let publicKey: string;
  let lines: string[];
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
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const setSettings = (settings: object) =>
    t.ctx.database.db
      .updateTable('widgets')
      .set({ settings: JSON.stringify(settings) })
      .where('public_key', '=', publicKey)
      .execute();

  it('serves the loader at a stable URL with a short cache, an ETag and 304s, for any site', async () => {
    const loader = await get('/widget/v1/loader.js', { cookie: 'tracking=1' });
    expect(loader.statusCode).toBe(200);
    expect(loader.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(loader.headers['cache-control']).toBe('public, max-age=300, stale-while-revalidate=3600');
    expect(loader.headers['access-control-allow-origin']).toBe('*');
    expect(loader.headers['set-cookie']).toBeUndefined();
    expect(loader.rawPayload.equals(build.loader)).toBe(true);
    const again = await get('/widget/v1/loader.js', { 'if-none-match': String(loader.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('serves content-named bundles as immutable, and an unknown name with a cacheable 404 of seconds', async () => {
    for (const name of [build.window.script, build.window.style]) {
      const asset = await get(`/widget/v1/assets/${name}`);
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.headers['content-type']).toBe(
        name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      expect(asset.rawPayload.equals(build.assets.get(name)!)).toBe(true);
    }
    for (const name of ['window.doesnotexist.js', '..%2Fmanifest.json', 'loader.js']) {
      const missing = await get(`/widget/v1/assets/${name}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json<ErrorBody>().error.code).toBe('not_found');
      expect(missing.headers['cache-control']).toBe('public, max-age=10');
    }
  });

  it("serves the window page with the widget's config and bundles, framed by any site when none is listed", async () => {
    const page = await get(`/widget/v1/window/${publicKey}.html`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-frame-options']).toBeUndefined();
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
        "connect-src 'self' wss://chat.acme.test; base-uri 'none'; form-action 'none'; frame-ancestors *",
    );
    expect(page.body).toContain(`src="../assets/${build.window.script}"`);
    expect(page.body).toContain(`href="../assets/${build.window.style}"`);
    const data = /<script id="plauder-config" type="application\/json">(.*)<\/script>/.exec(page.body)?.[1];
    expect(JSON.parse(data!)).toMatchObject({ publicKey, apiUrl: 'https://chat.acme.test' });
    expect(
      (await get(`/widget/v1/window/${publicKey}.html`, { 'if-none-match': String(page.headers.etag) })).statusCode,
    ).toBe(304);
  });

  it('lets only the allowed sites frame the window, and keeps settings text inside its data block', async () => {
    await setSettings({
      allowedOrigins: ['https://www.acme.test', 'https://shop.acme.test'],
      greeting: '</script><script>alert(1)</script>',
    });
    const page = await get(`/widget/v1/window/${publicKey}.html`);
    expect(page.headers['content-security-policy']).toContain(
      'frame-ancestors https://www.acme.test https://shop.acme.test',
    );
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body.match(/<\/script>/g)).toHaveLength(2);
    const data = /<script id="plauder-config" type="application\/json">(.*)<\/script>\n<script defer/.exec(
      page.body,
    )?.[1];
    expect(JSON.parse(data!)).toMatchObject({ greeting: '</script><script>alert(1)</script>' });
  });

  it('answers an unknown key, a config name or another extension with a cacheable 404', async () => {
    for (const file of ['pk_unknownunknownunknown.html', `${publicKey}.json`, `${publicKey}.htm`]) {
      const response = await get(`/widget/v1/window/${file}`);
      expect(response.statusCode).toBe(404);
      expect(response.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=600');
      // Pages the window does not own keep the strict policy, framing included.
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
    expect((await get(`/widget/v1/config/${publicKey}.html`)).statusCode).toBe(404);
  });

  it('has no demo page without a demo account', async () => {
    const response = await get('/demo');
    expect(response.statusCode).toBe(404);
    expect(response.json<ErrorBody>().error.code).toBe('not_found');
  });

  it('reads no cookie, sets none, writes nothing and logs no client address on any of these files', async () => {
    const db = t.ctx.database.db;
    const rows = async () => ({
      visitors: await db.selectFrom('visitors').selectAll().execute(),
      audit: await db.selectFrom('audit_log').select('id').execute(),
      widgets: await db.selectFrom('widgets').selectAll().execute(),
    });
    const before = await rows();
    const urls = [
      '/widget/v1/loader.js',
      `/widget/v1/assets/${build.window.script}`,
      `/widget/v1/window/${publicKey}.html`,
      `/widget/v1/config/${publicKey}.json`,
      '/widget/v1/assets/window.missing.js',
    ];
    for (const url of urls) {
      const plain = await app.inject({ method: 'GET', url, remoteAddress: '203.0.113.77' });
      const withCookies = await app.inject({
        method: 'GET',
        url,
        headers: { cookie: 'plauder_session=abc; tracking=xyz' },
        remoteAddress: '203.0.113.77',
      });
      expect(withCookies.statusCode).toBe(plain.statusCode);
      // Error bodies name their request; the rest must be the very same bytes.
      if (plain.statusCode === 200) expect(withCookies.body).toBe(plain.body);
      expect(withCookies.headers['set-cookie']).toBeUndefined();
      expect(withCookies.headers.vary).toBeUndefined();
    }
    expect(await rows()).toEqual(before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const requests = lines
      .map((line) => JSON.parse(line) as { msg: string; client?: string })
      .filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(urls.length * 2);
    for (const line of requests) expect(line).not.toHaveProperty('client');
    expect(lines.join('\n')).not.toContain('203.0.113');
  });
});
