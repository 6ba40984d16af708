import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  openAndConsent,
  operatorOnline,
  say,
  useWidgetInstallation,
} from './support/widget-installation.js';
import { chatButton, chatWindow, isFocused } from './support/widget.js';

describe("the widget's safe rendering and accessibility", () => {
  const w = useWidgetInstallation();

  it('renders hostile messages as inert text', async () => {
    const { page, node } = w;
    const operator = await operatorOnline(w);
    const chat = await openAndConsent(w);
    const sent = await say(chat, operator, 'Show me your worst.');
    const hostile = [
      '<script>window.parent.__owned = 1; window.__owned = 1</script>',
      '<img src=x onerror="window.__owned = 1">',
      '[click](javascript:window.__owned=1) javascript:window.__owned=1',
      'https://ok.example/"onmouseover="window.__owned=1',
      '\u202Eevil.exe\u202C then normal text',
      'W'.repeat(10_000),
    ];
    for (const body of hostile) {
      operator.send({
        type: 'message.send',
        conversationId: sent.conversationId,
        clientMessageId: crypto.randomUUID(),
        body,
        kind: 'text',
      });
    }
    await chat.getByText('then normal text').waitFor();
    await chat.getByText('W'.repeat(100), { exact: false }).waitFor();
    const frame = page.frames().find((f) => f.url().startsWith(node.httpUrl))!;
    const report = await frame.evaluate<{
      owned: unknown;
      images: number;
      scripts: number;
      links: { href: string; rel: string | null }[];
      overflows: boolean;
    }>(`(() => {
      const log = document.querySelector('[role=log]');
      return {
        owned: window.__owned,
        images: log.querySelectorAll('img').length,
        scripts: log.querySelectorAll('script').length,
        links: [...log.querySelectorAll('a')].map((a) => ({ href: a.href, rel: a.getAttribute('rel') })),
        overflows: log.scrollWidth > log.clientWidth,
      };
    })()`);
    expect(report).toEqual({
      owned: undefined,
      images: 0,
      scripts: 0,
      links: [{ href: 'https://ok.example/', rel: 'noopener noreferrer nofollow' }],
      overflows: false,
    });
    expect(await page.evaluate('window.__owned')).toBeUndefined();
    await chat.getByText('<script>window.parent.__owned', { exact: false }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-hostile-desktop.png') });
    operator.close();
  });

  it('works by keyboard alone: into the window, consent, chat, and back out with Escape', async () => {
    const { page, site } = w;
    const operator = await operatorOnline(w);
    await page.goto(site.url);
    await chatButton(page).waitFor();
    await page.keyboard.press('Tab'); // the page's link
    await page.keyboard.press('Tab'); // the chat button
    expect(await page.evaluate("document.activeElement?.getAttribute('data-plauder')")).toBe('');
    await page.keyboard.press('Enter');
    const chat = chatWindow(page);
    const accept = chat.getByRole('button', { name: 'Accept and start chatting' });
    await expect.poll(() => isFocused(accept)).toBe(true);
    await page.keyboard.press('Enter');
    const composer = chat.getByRole('textbox', { name: 'Your message' });
    await expect.poll(() => isFocused(composer)).toBe(true);
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Enter');
    await operator.next('message.created', (f) => f.message.body === 'Typed without a mouse');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-plauder] iframe').isVisible()).toBe(false);
    expect(await isFocused(chatButton(page))).toBe(true);
    expect(await chatButton(page).getAttribute('aria-expanded')).toBe('false');
    operator.close();
  });

  it('fills a small screen and is photographed at desktop and mobile sizes', async () => {
    const { page } = w;
    const operator = await operatorOnline(w);
    const chat = await openAndConsent(w);
    await say(chat, operator, 'Hello from a phone');
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-open-desktop.png') });
    await page.setViewportSize({ width: 375, height: 667 });
    const box = await page.locator('[data-plauder] iframe').boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 375, height: 667 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-open-mobile.png') });
    operator.close();
  });
});
