import { WidgetConfig } from '@plauder/protocol';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { launchChromium } from './support/browser.js';
import { serveSite, type Site } from './support/site.js';

describe("a customer's page reading its widget's config", () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let publicKey: string;
  beforeAll(async () => {
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    publicKey = jsonOf<{ widgetPublicKey: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'owner@acme.test', '--json'],
        dataDir,
      ),
    ).widgetPublicKey;
    node = await installation.startNode({ dataDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await installation?.cleanup();
  });

  it('reads it from another site without sending or getting a cookie, also when the browser holds one', async () => {
    const configUrl = `${node.httpUrl}/widget/v1/config/${publicKey}.json`;
    const site: Site = await serveSite({
      '/': `<!doctype html><title>Acme</title><script>
        window.read = (async () => {
          const first = await fetch(${JSON.stringify(configUrl)}, { credentials: 'omit' });
          const again = await fetch(${JSON.stringify(configUrl)}, { credentials: 'omit', cache: 'no-cache' });
          return { status: first.status, config: await first.json(), again: again.status };
        })();
      </script>`,
    });
    const context = await browser.newContext();
    try {
      // The operator console's session cookie, as a browser that logged in there would hold it.
      await context.addCookies([{ name: 'plauder_session', value: 'held', url: node.httpUrl }]);
      const page = await context.newPage();
      const cookieHeaders: (string | undefined)[] = [];
      page.on('request', (request) => {
        if (request.url() === configUrl)
          void request.allHeaders().then((headers) => cookieHeaders.push(headers.cookie));
      });
      await page.goto(site.url);
      const read = await page.evaluate(
        () => (globalThis as unknown as { read: Promise<{ status: number; config: unknown; again: number }> }).read,
      );
      expect(read.status).toBe(200);
      expect(read.again).toBe(200);
      expect(WidgetConfig.parse(read.config)).toMatchObject({ publicKey, apiUrl: node.httpUrl });
      // The headers arrive asynchronously, after the fetches resolved.
      await expect.poll(() => cookieHeaders.length).toBeGreaterThanOrEqual(2);
      expect(cookieHeaders.every((header) => header === undefined)).toBe(true);
      expect((await context.cookies()).map((cookie) => cookie.name)).toEqual(['plauder_session']);
    } finally {
      await context.close();
      await site.close();
    }
  });

  it('gets a 404 the page can read for an unknown key', async () => {
    const site = await serveSite({ '/': '<!doctype html><title>Acme</title>' });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(site.url);
      const status = await page.evaluate(
        async (url) => (await fetch(url, { credentials: 'omit' })).status,
        `${node.httpUrl}/widget/v1/config/pk_unknownunknownunknown.json`,
      );
      expect(status).toBe(404);
    } finally {
      await context.close();
      await site.close();
    }
  });
});
