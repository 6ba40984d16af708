import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, operatorOnline, say, stored, useWidgetInstallation } from './support/widget-installation.js';
import { chatButton, chatWindow, pageWithSnippet } from './support/widget.js';
import { serveSite } from './support/site.js';
import { serveDirectory } from './support/static-host.js';
import { changeWidgetSettings } from './support/api.js';
import { jsonOf } from '../../apps/server/src/test-support/cluster.js';

describe("the widget's privacy and delivery on a customer site", () => {
  const w = useWidgetInstallation();

  it('leaves no cookie, no storage entry and no socket on a page view, only the two static files', async () => {
    const { page, owner, site } = w;
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(site.url);
    await expect.poll(() => chatButton(page).isVisible()).toBe(true);
    await page.waitForTimeout(500);
    expect(await stored(w)).toEqual({ cookies: 0, site: [] });
    expect(w.sockets).toHaveLength(0);
    expect(await page.locator('[data-plauder] iframe').count()).toBe(0);
    expect(requested).toEqual(['/', '/widget/v1/loader.js', `/widget/v1/config/${owner.publicKey}.json`]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-closed-desktop.png') });
  });

  it("shows the widget only on the allowed sites, and the window page refuses other sites' frames", async () => {
    const { page, node, owner, site, browser } = w;
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const framing = await serveSite({
      '/': `<!doctype html><title>Framing</title><iframe src="${node.httpUrl}/widget/v1/window/${owner.publicKey}.html#${encodeURIComponent('http://evil.example')}"></iframe>`,
    });
    try {
      await changeWidgetSettings(node, owner, { allowedOrigins: ['https://www.acme.test'] });
      await page.goto(site.url);
      await expect.poll(() => errors.join('\n')).toContain("is not among the widget's allowed origins");
      expect(await page.locator('[data-plauder]').count()).toBe(0);
      // A page that frames the window itself gets nothing: the browser enforces frame-ancestors.
      const blocked = page.waitForEvent('console', (m) => m.text().includes('frame-ancestors'));
      await page.goto(framing.url);
      await blocked;
      expect(page.frames().some((f) => f.url().startsWith(node.httpUrl) && f !== page.mainFrame())).toBe(false);

      await changeWidgetSettings(node, owner, { allowedOrigins: [new URL(site.url).origin] });
      // A new browser: this one keeps the config it read for its minute of caching.
      const allowed = await (await browser.newContext()).newPage();
      await allowed.goto(site.url);
      await chatButton(allowed).click();
      await chatWindow(allowed).getByRole('button', { name: 'Accept and start chatting' }).waitFor();
      await allowed.context().close();
    } finally {
      await changeWidgetSettings(node, owner, { allowedOrigins: [] });
      await framing.close();
    }
  });

  it('runs from a static host: loader and config from the export, the chat with the installation', async () => {
    const { page, node, owner, installation } = w;
    const exportDir = installation.newDataDir();
    const exported = jsonOf<{ configs: number }>(
      await installation.cli(['cdn', 'export', exportDir, '--json'], node.dataDir, { PUBLIC_URL: node.httpUrl }),
    );
    expect(exported.configs).toBe(1);
    const cdn = await serveDirectory(exportDir);
    const shop = await serveSite({
      '/': pageWithSnippet({ loaderUrl: `${cdn.url}/widget/v1/loader.js`, publicKey: owner.publicKey }),
    });
    try {
      const operator = await operatorOnline(w);
      const origins = new Set<string>();
      page.on('request', (request) =>
        origins.add(`${new URL(request.url()).origin} ${new URL(request.url()).pathname}`),
      );
      await page.goto(shop.url);
      await chatButton(page).click();
      const chat = chatWindow(page);
      await chat.getByRole('button', { name: 'Accept and start chatting' }).click();
      await say(chat, operator, 'Served from a CDN');
      expect(cdn.requested).toEqual(['/widget/v1/loader.js', `/widget/v1/config/${owner.publicKey}.json`]);
      expect([...origins]).toContain(`${node.httpUrl} /widget/v1/window/${owner.publicKey}.html`);
      expect([...origins].filter((o) => o.startsWith(node.httpUrl) && o.includes('/config/'))).toEqual([]);
      operator.close();
    } finally {
      await shop.close();
      await cdn.close();
    }
  });
});
