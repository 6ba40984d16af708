import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { startHttpReceiver, type HttpReceiver } from '../../apps/server/src/test-support/http-receiver.js';
import { signInOverApi } from './support/api.js';
import { launchChromium } from './support/browser.js';
import { addOperator, signInToConsole } from './support/console.js';
import { holdChat } from './support/visitor-chat.js';
import { ARTIFACTS } from './support/widget-installation.js';

/** Whether `header` (`t=<unix seconds>,v1=<hex>`) signs `body` under `secret`, as a receiver checks it. */
function signs(secret: string, header: string, body: string): boolean {
  const { t, v1 } = Object.fromEntries(header.split(',').map((part) => part.split('='))) as Record<string, string>;
  return v1 === createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

/**
 * The optional functions that work from the console, against receivers started here on this
 * machine: webhook endpoints and the delivery log in Settings, and Translate in a conversation.
 * The installation allows private addresses (WEBHOOK_PRIVATE_ADDRESSES=allow) so that its webhooks
 * reach 127.0.0.1; that production refuses them is console-settings.e2e.ts.
 */
describe("the console's webhooks, delivery log and translation", () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let publicKey: string;
  let admin: { email: string; password: string };
  let hooks: HttpReceiver;
  let deepl: HttpReceiver;
  /** While set, the translation stand-in answers as told by deepl.answer instead of translating. */
  let deeplFails = false;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    hooks = await startHttpReceiver();
    deepl = await startHttpReceiver((request) => {
      if (deeplFails) return undefined;
      // Safe: the installation sends DeepL's request shape.
      const { text, target_lang: target } = JSON.parse(request.body) as { text: string[]; target_lang: string };
      const translations = text.map((line) => ({ detected_source_language: 'DE', text: `[${target}] ${line}` }));
      return { status: 200, body: JSON.stringify({ translations }) };
    });
    const env = {
      WEBHOOK_PRIVATE_ADDRESSES: 'allow',
      TRANSLATION_URL: deepl.url,
      TRANSLATION_API_KEY: 'deepl-key-e2e',
      TRANSLATION_COUNTRY: 'DE',
    };
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const plan = await installation.cli(
      ['plan', 'set', 'standard', '--functions', 'webhooks,translation'],
      dataDir,
      env,
    );
    expect(plan.code, plan.stderr).toBe(0);
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string; widgetPublicKey: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'ada@acme.test', '--owner-name', 'Ada', '--json'],
        dataDir,
        env,
      ),
    );
    publicKey = created.widgetPublicKey;
    node = await installation.startNode({ dataDir, env });
    const owner = { email: created.ownerEmail, password: created.ownerPassword };
    admin = await addOperator(node, owner, { email: 'grace@acme.test', displayName: 'Grace', role: 'admin' });
    // Webhooks are turned on in the console, by the journey; translation here.
    const translation = await (
      await signInOverApi(node, owner)
    ).request('PUT', '/api/v1/account/functions/translation', { enabled: true });
    expect(translation.status).toBe(200);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await installation?.cleanup();
    await hooks?.close();
    await deepl?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function consoleAt(at: string, options: { locale?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, ...options });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${node.httpUrl}/app${at}`);
    await signInToConsole(page, admin);
    return page;
  }

  it('adds an endpoint whose secret signs the calls the log shows delivered, pauses it, replaces the secret and removes it', async () => {
    const page = await consoleAt('/settings/webhooks');
    await page.getByText('Webhooks do not run for this account (Off)').waitFor();

    const url = `${hooks.url}/hooks/plauder`;
    const form = page.getByRole('form', { name: 'New webhook endpoint' });
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('A conversation ends').uncheck();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const card = page.getByRole('list', { name: 'Webhook endpoints' }).getByRole('listitem').filter({ hasText: url });
    await card.getByText('conversation.started, message.created, offline_message.received · Takes events').waitFor();

    await card.getByRole('button', { name: 'Show secret' }).click();
    const secret = await card.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);

    // Nothing is sent until webhooks run: turned on where the note points.
    await page.getByRole('status').getByRole('link', { name: 'Optional functions' }).click();
    const webhooks = page.locator('.function-list > li').filter({ hasText: 'Webhooks' });
    // The switch shows what the server holds: it turns once the answer is in.
    await webhooks.getByRole('checkbox').click();
    await webhooks.getByText('Running').waitFor();
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Webhooks' }).click();
    await card.waitFor();
    await expect.poll(() => page.getByText('Webhooks do not run for this account').count()).toBe(0);

    await holdChat(node, { publicKey, body: 'Hallo, wo ist meine Bestellung?' });
    await expect.poll(() => hooks.received.length).toBe(2);
    for (const call of hooks.received) {
      expect(call.path).toBe('/hooks/plauder');
      expect(signs(secret, String(call.headers['plauder-signature']), call.body)).toBe(true);
    }

    const log = page.getByRole('table', { name: 'Delivery log' });
    const delivered = log.locator('tbody tr[data-status="delivered"]');
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return delivered.count();
      })
      .toBe(2);
    const message = delivered.filter({ hasText: 'message.created' });
    for (const cell of ['Webhook', url, 'Delivered', '200'])
      await message.getByRole('cell', { name: cell, exact: true }).waitFor();
    await page.getByLabel('Filter by status').selectOption('failed');
    await page.getByText('No failed deliveries.').waitFor();
    await page.getByLabel('Filter by status').selectOption('');
    await expect.poll(() => delivered.count()).toBe(2);

    await card.getByRole('button', { name: 'Pause' }).click();
    await card.getByText('Paused: takes no events').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-webhooks.png'), fullPage: true });
    await card.getByRole('button', { name: 'Resume' }).click();
    await card.getByText('· Takes events').waitFor();

    await card.getByRole('button', { name: 'Replace secret' }).click();
    await card.getByRole('button', { name: 'Replace', exact: true }).click();
    await card.getByText('Secret replaced').waitFor();
    expect(await card.getByLabel('Signing secret').inputValue()).not.toBe(secret);

    await card.getByRole('button', { name: 'Remove' }).click();
    await card
      .getByRole('group', { name: /^Remove this endpoint\?/ })
      .getByRole('button', { name: 'Remove' })
      .click();
    await page.getByText('No webhook endpoints yet.').waitFor();
    // The log keeps its deliveries, telling that their endpoint is gone.
    await message.getByRole('cell', { name: 'A removed endpoint' }).waitFor();
    const left = await (await signInOverApi(node, admin)).request('GET', '/api/v1/webhooks');
    expect(await left.json()).toEqual({ endpoints: [] });
  });

  it("translates a visitor's message into the operator's language or the one picked, marked, and says why when it cannot", async () => {
    const body = 'Können Sie mir bei meiner Rechnung helfen?';
    const conversationId = await holdChat(node, { publicKey, body });
    const page = await consoleAt(`/inbox/waiting/${conversationId}`, { locale: 'de-DE' });
    const message = page.getByRole('log', { name: 'Transcript' }).locator('li.message').filter({ hasText: body });

    await message.getByRole('button', { name: 'Translate' }).click();
    const ask = message.getByRole('form', { name: 'Translate the message' });
    // The browser's language, without its region, comes first.
    expect(await ask.getByLabel('Into').inputValue()).toBe('DE');
    await ask.getByLabel('Into').selectOption('EN');
    await ask.getByRole('button', { name: 'Translate' }).click();
    await message.getByText('Machine translated from DE into EN').waitFor();
    await message.getByText(`[EN] ${body}`).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-translation.png') });

    deeplFails = true;
    deepl.answer({ status: 503 });
    await message.getByRole('button', { name: 'Translate again' }).click();
    await ask.getByRole('button', { name: 'Translate' }).click();
    await message
      .getByRole('alert')
      .getByText('The translation service answered 503; nothing was translated')
      .waitFor();
    // The translation shown stays until the operator hides it.
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await message.getByRole('button', { name: 'Hide translation' }).click();
    await expect.poll(() => message.getByText(`[EN] ${body}`).count()).toBe(0);
  });
});
