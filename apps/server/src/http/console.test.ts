import type { ErrorBody } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { readConsoleBuild } from './routes/console.js';
import { buildServer, type App } from './server.js';

const build = readConsoleBuild();

describe('the operator console under /app', () => {
  let t: TestContext;
  let app: App;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  it('serves its page for /app and every path below, revalidated, under the strict policy', async () => {
    for (const url of ['/app', '/app/', '/app/inbox', '/app/settings/widget']) {
      const page = await app.inject({ method: 'GET', url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.rawPayload.equals(build.indexHtml)).toBe(true);
    }
    // Its scripts and styles are its own files, named under /app/assets/, never inline.
    const html = build.indexHtml.toString('utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // The page names its entry files; pages loaded later (such as privacy-page-*) come from them.
    const named = [...html.matchAll(/\/app\/assets\/([\w.-]+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThanOrEqual(2);
    for (const name of named) expect(build.assets.has(name ?? '')).toBe(true);
  });

  it('serves its files as immutable, and an unknown one with a short 404', async () => {
    expect(build.assets.size).toBeGreaterThanOrEqual(2);
    for (const [name, body] of build.assets) {
      const file = await app.inject({ method: 'GET', url: `/app/assets/${name}` });
      expect(file.statusCode).toBe(200);
      expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(file.headers['content-type']).toMatch(name.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect(file.rawPayload.equals(body)).toBe(true);
    }
    const missing = await app.inject({ method: 'GET', url: '/app/assets/index-missing.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<ErrorBody>().error.code).toBe('not_found');
    expect(missing.headers['cache-control']).toBe('public, max-age=10');
  });
});
