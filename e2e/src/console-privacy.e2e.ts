import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { signInOverApi } from './support/api.js';
import { launchChromium } from './support/browser.js';
import { addOperator, signInToConsole } from './support/console.js';
import { holdChat } from './support/visitor-chat.js';
import { ARTIFACTS } from './support/widget-installation.js';

/** A zip file starts with a local file header: "PK\x03\x04". */
async function expectZip(download: Download): Promise<void> {
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const bytes = readFileSync(await download.path());
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
}

/**
 * The privacy page in a real browser against a real installation: an admin exports a contact and
 * erases the closed conversations of today through a counted, confirmed bulk delete; a message is
 * deleted in one console and leaves the other; the owner closes the account.
 */
describe('privacy in the console', () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let owner: { email: string; password: string };
  let admin: { email: string; password: string };
  /** The conversation that stays: it waits until Bob comes online, then routing gives it to him. */
  let conversationId: string;
  const contexts: BrowserContext[] = [];
  /** What each console's sockets received, as text. */
  const received = new Map<Page, string[]>();
  const consoleOf = async (who: { email: string; password: string }, at: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    const frames: string[] = [];
    received.set(page, frames);
    page.on('websocket', (socket) => socket.on('framereceived', (frame) => frames.push(String(frame.payload))));
    await page.goto(`${node.httpUrl}/app${at}`);
    await signInToConsole(page, who);
    return page;
  };
  /** Waits until a console follows a conversation: its socket answered the resume the console sent. */
  const following = (page: Page, id: string) =>
    expect
      .poll(() => received.get(page)?.some((frame) => frame.includes('"resumed"') && frame.includes(id)))
      .toBe(true);

  beforeAll(async () => {
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string; widgetPublicKey: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'ada@acme.test', '--owner-name', 'Ada', '--json'],
        dataDir,
      ),
    );
    owner = { email: created.ownerEmail, password: created.ownerPassword };
    node = await installation.startNode({ dataDir });
    admin = await addOperator(node, owner, { email: 'bob@acme.test', displayName: 'Bob', role: 'admin' });
    const publicKey = created.widgetPublicKey;
    await holdChat(node, {
      publicKey,
      body: 'Where is my parcel Quokka7?',
      contact: { name: 'Grace Hopper', email: 'grace@example.com' },
      end: true,
    });
    await holdChat(node, { publicKey, body: 'Do you ship to Iceland?', end: true });
    conversationId = await holdChat(node, { publicKey, body: 'Still waiting here' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await installation?.cleanup();
  });

  it('exports a contact, then counts, runs and follows a bulk delete of the closed conversations of today', async () => {
    const page = await consoleOf(admin, '/contacts');

    // The contact's own export: a zip, downloaded.
    await page.getByRole('link', { name: /Grace Hopper/ }).click();
    const [contactZip] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export data' }).click(),
    ]);
    await expectZip(contactZip);

    // Both closed conversations are listed before the delete.
    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('link', { name: /^Closed/ }).click();
    const closed = page.getByRole('list', { name: 'Closed conversations' }).getByRole('link');
    await expect.poll(() => closed.count()).toBe(2);

    // Export by email on the privacy page; an unknown email gets the server's answer.
    await page.getByRole('link', { name: 'Privacy', exact: true }).click();
    // This installation has made no backup: the page says so, as a warning.
    await page
      .getByRole('region', { name: 'Backups' })
      .getByRole('alert')
      .getByText('No backup of the installation has been verified yet.')
      .waitFor();
    const byEmail = page.getByRole('form', { name: 'Export by email' });
    await byEmail.getByLabel('Email of the person').fill('nobody@example.com');
    await byEmail.getByRole('button', { name: 'Export' }).click();
    await byEmail.getByRole('alert').waitFor();
    await byEmail.getByLabel('Email of the person').fill('grace@example.com');
    const [emailZip] = await Promise.all([
      page.waitForEvent('download'),
      byEmail.getByRole('button', { name: 'Export' }).click(),
    ]);
    await expectZip(emailZip);

    // Today's closed conversations, counted: the waiting one is not among them.
    const today = await page.evaluate(() => new Date().toLocaleDateString('sv'));
    const filter = page.getByRole('form', { name: 'Bulk delete filter' });
    await filter.getByLabel('Created from').fill(today);
    await filter.getByLabel(/^Created to/).fill(today);
    await filter.getByLabel('Status').selectOption('closed');
    await filter.getByRole('button', { name: 'Count' }).click();
    await filter.getByText(/^2 conversations and \d+ messages would be deleted\.$/).waitFor();

    // Confirmed with the counts, then followed to its end.
    await filter.getByRole('button', { name: 'Delete…' }).click();
    await filter.getByRole('button', { name: /^Delete 2 conversations and \d+ messages$/ }).click();
    const progress = page.getByRole('group', { name: 'Bulk delete progress' });
    await progress.getByRole('status').getByText('Done').waitFor({ timeout: 20_000 });
    await progress.getByText(/^Deleted 2 conversations, \d+ messages/).waitFor();
    await page.getByRole('table').getByText('Done').first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-privacy.png'), fullPage: true });

    // Gone from the closed list; the waiting conversation stays.
    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('link', { name: /^Closed/ }).click();
    await page.getByText('No closed conversations yet.').waitFor();
    // Bob was online, so routing gave him the chat that was waiting: it is his, and it stays.
    await page.getByRole('link', { name: /^Mine/ }).click();
    await expect.poll(() => page.getByRole('list', { name: 'Mine conversations' }).getByRole('link').count()).toBe(1);
    const session = await signInOverApi(node, admin);
    // Safe: the route answers ConversationPageDto.
    const listed = (await (await session.request('GET', '/api/v1/conversations?view=closed')).json()) as {
      conversations: unknown[];
    };
    expect(listed.conversations).toEqual([]);
  });

  it('removes a deleted message in every console, and shows the closed account to the owner', async () => {
    const bob = await consoleOf(admin, `/inbox/mine/${conversationId}`);
    const ada = await consoleOf(owner, `/inbox/open/${conversationId}`);
    const message = (page: Page) => page.getByRole('log', { name: 'Transcript' }).getByText('Still waiting here');
    await message(bob).waitFor();
    await message(ada).waitFor();
    // A deletion between reading the transcript and following it would not reach Ada's console.
    await following(ada, conversationId);

    // Bob deletes it; Ada's console drops it too, live.
    const item = bob
      .getByRole('log', { name: 'Transcript' })
      .getByRole('listitem')
      .filter({ hasText: 'Still waiting here' });
    await item.getByRole('button', { name: 'Delete message' }).click();
    await item
      .getByRole('group', { name: 'Confirm deleting the message' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await message(bob).waitFor({ state: 'detached' });
    await message(ada).waitFor({ state: 'detached' });

    // The owner closes the account: the name typed again, then the banner, and read-only controls.
    await ada.getByRole('link', { name: 'Privacy', exact: true }).click();
    const close = ada.getByRole('form', { name: 'Close account' });
    expect(await close.getByRole('button', { name: 'Close account' }).isDisabled()).toBe(true);
    await close.getByLabel(/type the account's name/).fill('Acme');
    await close.getByRole('button', { name: 'Close account' }).click();
    const banner = ada.getByRole('status').filter({ hasText: 'This account was closed on' });
    await banner.getByText(/will be deleted on .+; export what you need/).waitFor();
    await ada.getByRole('link', { name: 'Inbox' }).click();
    await ada.getByRole('link', { name: /^All open/ }).click();
    await ada.getByRole('list', { name: 'All open conversations' }).getByRole('link').first().click();
    await ada.getByRole('log', { name: 'Transcript' }).waitFor();
    expect(await ada.getByRole('button', { name: 'Close', exact: true }).isDisabled()).toBe(true);
    expect(await ada.getByRole('textbox', { name: 'Internal note' }).isDisabled()).toBe(true);
    await ada.screenshot({ path: path.join(ARTIFACTS, 'console-account-closed.png') });

    // Bob's console learns it at his next write, which the server refuses with its reason.
    await bob.getByRole('button', { name: 'Close', exact: true }).click();
    await bob.getByText(/This account was terminated on/).waitFor();
    await bob.getByText('This account was closed on', { exact: false }).waitFor();
  });
});
