import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { WidgetConfig } from '@plauder/protocol';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { signInOverApi } from './support/api.js';
import { launchChromium } from './support/browser.js';
import { serveSite } from './support/site.js';
import { ARTIFACTS } from './support/widget-installation.js';
import { chatButton, chatWindow, pageWithSnippet } from './support/widget.js';

/** An element's background color as the browser computed it, such as `rgb(170, 51, 0)`. */
function backgroundOf(locator: Locator): Promise<string> {
  // Runs in the browser; the shape is spelled out since this project's Node configuration has no DOM types.
  type Element = { ownerDocument: { defaultView: { getComputedStyle(e: Element): { backgroundColor: string } } } };
  return locator.evaluate(
    (element: Element) => element.ownerDocument.defaultView.getComputedStyle(element).backgroundColor,
  );
}

const ADMIN = { email: 'grace@acme.test', password: 'admin password of grace', displayName: 'Grace Hopper' };

describe("the console's settings", () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let publicKey: string;
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string; widgetPublicKey: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'ada@acme.test', '--owner-name', 'Ada', '--json'],
        dataDir,
      ),
    );
    publicKey = created.widgetPublicKey;
    node = await installation.startNode({ dataDir });
    const owner = await signInOverApi(node, { email: created.ownerEmail, password: created.ownerPassword });
    const added = await owner.request('POST', '/api/v1/operators', { ...ADMIN, role: 'admin' });
    expect(added.status).toBe(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await installation?.cleanup();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context.close();
  });

  async function signInAsAdmin(at: string): Promise<void> {
    await page.goto(`${node.httpUrl}/app${at}`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function publicConfig(): Promise<WidgetConfig> {
    // Safe: the route answers WidgetConfig.
    return (await (await fetch(`${node.httpUrl}/widget/v1/config/${publicKey}.json`)).json()) as WidgetConfig;
  }

  it('designs the widget with a live preview, saves it, and a site with the snippet shows the new color', async () => {
    await signInAsAdmin('/settings/widget');
    const preview = page.locator('[data-preview]');
    await preview.waitFor();
    await page.getByLabel('Accent color').fill('#aa3300');
    await page.getByLabel('Greeting').fill('Welcome to Acme! Ask us anything.');
    // The preview follows the form before anything is saved.
    await expect.poll(() => backgroundOf(preview.locator('.preview-button'))).toBe('rgb(170, 51, 0)');
    await preview.getByText('Welcome to Acme! Ask us anything.').waitFor();
    expect(await publicConfig()).toMatchObject({ color: '#2f6fed', greeting: null });

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved. Sites show it within about a minute.').waitFor();
    expect(await publicConfig()).toMatchObject({ color: '#aa3300', greeting: 'Welcome to Acme! Ask us anything.' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-settings.png'), fullPage: true });

    // The snippet as the console shows it, pasted into a site as it is.
    const snippet = await page.getByLabel('Snippet').inputValue();
    expect(snippet).toBe(
      `<script async src="${node.httpUrl}/widget/v1/loader.js" data-widget="${publicKey}"></script>`,
    );
    const site = await serveSite({ '/': `<!doctype html><title>Acme</title><h1>Acme</h1>${snippet}` });
    try {
      const visitor = await (await browser.newContext()).newPage();
      await visitor.goto(site.url);
      await expect.poll(() => backgroundOf(chatButton(visitor))).toBe('rgb(170, 51, 0)');
      await visitor.context().close();
    } finally {
      await site.close();
    }
  });

  it("shows the account's own privacy notice in the window, and the installation takes consent to it", async () => {
    const notice = 'Acme keeps your messages for a year to answer you.';
    await signInAsAdmin('/settings/widget');
    await page.getByLabel('Privacy notice').fill(notice);
    await page.locator('[data-preview]').getByText(notice).waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved. Sites show it within about a minute.').waitFor();
    const { privacy } = await publicConfig();
    expect(privacy.noticeText).toBe(notice);
    expect(privacy.noticeVersion).toMatch(/^custom-[0-9a-f]{8}$/);

    const site = await serveSite({
      '/': pageWithSnippet({ loaderUrl: `${node.httpUrl}/widget/v1/loader.js`, publicKey }),
    });
    try {
      const visitor = await (await browser.newContext()).newPage();
      await visitor.goto(site.url);
      await chatButton(visitor).click();
      const chat = chatWindow(visitor);
      await chat.getByText(notice).waitFor();
      await chat.getByRole('button', { name: 'Accept and start chatting' }).click();
      // A chat when an operator is online (the admin's console is), else the offline message: either
      // carries the consent, which the installation checks against the config's version.
      await chat.getByRole('textbox', { name: 'Your message' }).fill('Please call me back.');
      await chat.getByRole('button', { name: /^Send( message)?$/ }).click();
      await chat
        .locator('.meta', { hasText: 'Sent' })
        .or(chat.getByText('Thank you. Your message was sent.'))
        .waitFor();
      expect(await chat.getByText('Please accept the privacy notice first.').count()).toBe(0);
      await visitor.context().close();
    } finally {
      await site.close();
    }
  });

  it('adds a widget that serves at once, and deletes it after naming what goes: its files answer 404', async () => {
    await signInAsAdmin('/settings/widget');
    await page.locator('[data-preview]').waitFor();
    await expect.poll(() => page.getByText("This is the account's only widget.").count()).toBe(1);
    await page.getByLabel("New widget's name").fill('Shop');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.getByRole('form', { name: 'Settings of Shop' }).waitFor();
    const snippet = await page.getByLabel('Snippet').inputValue();
    const shopKey = /data-widget="(pk_[A-Za-z0-9_-]+)"/.exec(snippet)?.[1] ?? '';
    expect(shopKey).not.toBe(publicKey);
    const configOf = async (key: string) => (await fetch(`${node.httpUrl}/widget/v1/config/${key}.json`)).status;
    expect(await configOf(shopKey)).toBe(200);

    await page.getByRole('button', { name: 'Delete widget…' }).click();
    const confirm = page.getByRole('group', { name: "Confirm the widget's deletion" });
    await confirm.getByText('Delete Shop for good?').waitFor();
    await confirm.getByText('0 conversations and 0 messages are erased').waitFor();
    await confirm.getByRole('button', { name: 'Delete Shop' }).click();

    const progress = page.getByRole('group', { name: 'Deleting Shop' });
    await progress.getByText('Done').waitFor();
    expect(await progress.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect(await configOf(shopKey)).toBe(404);
    expect(await configOf(publicKey)).toBe(200);
    await page.getByRole('form', { name: 'Settings of Website' }).waitFor();
    await page.getByText("This is the account's only widget.").waitFor();
  });

  it('refuses a webhook endpoint at a loopback address or a name that does not resolve, with the reason', async () => {
    // Default settings, as in production: webhooks go to public addresses only (the journey of an
    // endpoint that is taken is console-webhooks.e2e.ts, on an installation that allows this machine).
    await signInAsAdmin('/settings/webhooks');
    await page.getByText('Webhooks do not run for this account (Not in your plan)').waitFor();
    const form = page.getByRole('form', { name: 'New webhook endpoint' });
    await form.getByLabel('URL').fill('http://127.0.0.1:8080/hooks');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form
      .getByRole('alert')
      .getByText('The webhook host 127.0.0.1 is at 127.0.0.1, a private, loopback or link-local address')
      .waitFor();
    // A name under .invalid never resolves (RFC 2606), with DNS or without: refused as well.
    await form.getByLabel('URL').fill('https://hooks.acme.invalid/plauder');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form
      .getByRole('alert')
      .getByText('The webhook host hooks.acme.invalid does not resolve to an address')
      .waitFor();
    await page.getByText('No webhook endpoints yet.').waitFor();
  });

  it('invites a colleague, who sets a password from the link and lands in the console as the new operator', async () => {
    await signInAsAdmin('/settings/operators');
    await page.getByRole('form', { name: 'Invite a colleague' }).getByLabel('Email').fill('lin@acme.test');
    await page.getByRole('button', { name: 'Invite' }).click();
    const inviteUrl = await page.getByLabel('Invitation link').inputValue();
    expect(inviteUrl).toMatch(new RegExp(`^${node.httpUrl}/app/invite#.+`));
    await page.getByRole('listitem').getByText('lin@acme.test, operator').waitFor();

    const invitee = await browser.newContext();
    const join = await invitee.newPage();
    await join.goto(inviteUrl);
    await join.getByLabel('Your name').fill('Lin');
    await join.getByLabel('Password', { exact: true }).fill('short');
    await join.getByLabel('Password again').fill('short');
    await join.getByRole('button', { name: 'Join and sign in' }).click();
    await join.getByRole('alert').getByText('at least 10 characters').waitFor();
    await join.getByLabel('Password', { exact: true }).fill('a long password for lin');
    await join.getByLabel('Password again').fill('a long password for lin');
    await join.getByRole('button', { name: 'Join and sign in' }).click();
    await join.getByText('Lin · operator').waitFor();
    expect(new URL(join.url()).pathname).toBe('/app/inbox/mine');

    // The link worked once.
    const again = await invitee.newPage();
    await invitee.clearCookies();
    await again.goto(inviteUrl);
    await again.getByLabel('Your name').fill('Mallory');
    await again.getByLabel('Password', { exact: true }).fill('another long password');
    await again.getByLabel('Password again').fill('another long password');
    await again.getByRole('button', { name: 'Join and sign in' }).click();
    await again.getByRole('alert').getByText('expired, was used already or was revoked').waitFor();
    await invitee.close();

    await page.reload();
    await page.getByText('No pending invitations.').waitFor();
    await page.getByRole('cell', { name: /Lin\s*lin@acme\.test/ }).waitFor();
  });
});
