import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  logIn,
  openOperator,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { startSmtpStandIn, type SmtpStandIn } from '../../apps/server/src/test-support/smtp-stand-in.js';
import { signInOverApi } from './support/api.js';
import { launchChromium } from './support/browser.js';
import { serveSite, type Site } from './support/site.js';
import { chatButton, chatWindow, pageWithSnippet } from './support/widget.js';
import { ARTIFACTS } from './support/widget-installation.js';

/**
 * "Email me the transcript" in the chat window, through a mail server started here: offered only
 * while the account's optional function `email` runs, the email reaches the address given, and a
 * request the server refuses (email turned off meanwhile) says why.
 */
describe('the transcript by email from the widget', () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let site: Site;
  let smtp: SmtpStandIn;
  let owner: { email: string; password: string };
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    smtp = await startSmtpStandIn();
    const env = { SMTP_URL: smtp.url, SMTP_FROM: 'chat@acme.test', SMTP_COUNTRY: 'DE' };
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const plan = await installation.cli(['plan', 'set', 'standard', '--functions', 'email'], dataDir, env);
    expect(plan.code, plan.stderr).toBe(0);
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string; widgetPublicKey: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'ada@acme.test', '--owner-name', 'Ada', '--json'],
        dataDir,
        env,
      ),
    );
    owner = { email: created.ownerEmail, password: created.ownerPassword };
    node = await installation.startNode({ dataDir, env });
    browser = await launchChromium();
    site = await serveSite({
      '/': pageWithSnippet({ loaderUrl: `${node.httpUrl}/widget/v1/loader.js`, publicKey: created.widgetPublicKey }),
    });
  });
  afterAll(async () => {
    await site?.close();
    await browser?.close();
    await installation?.cleanup();
    await smtp?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function setEmail(enabled: boolean): Promise<void> {
    const session = await signInOverApi(node, owner);
    expect((await session.request('PUT', '/api/v1/account/functions/email', { enabled })).status).toBe(200);
  }

  /** A visitor's chat with the owner, ended by the owner; the window shows its end. */
  async function endedChat(body: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    const operator = await openOperator(node, await logIn(node, owner));
    operator.send({ type: 'presence.set', status: 'online' });
    await operator.next('presence');
    await page.goto(site.url);
    await chatButton(page).click();
    const chat = chatWindow(page);
    await chat.getByRole('button', { name: 'Accept and start chatting' }).click();
    await chat.getByRole('textbox', { name: 'Your message' }).fill(body);
    await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');
    const { conversationId } = (await operator.next('message.created', (f) => f.message.body === body)).message;
    operator.send({ type: 'conversation.close', conversationId });
    await chat.getByText('This conversation has ended.').waitFor();
    operator.close();
    return { page, chat };
  }

  it('is not offered while email does not run for the account', async () => {
    const { chat } = await endedChat('Where is my parcel?');
    await chat.getByRole('button', { name: 'Download transcript' }).waitFor();
    expect(await chat.getByRole('button', { name: 'Email me the transcript' }).count()).toBe(0);
  });

  it('sends the transcript to the address the visitor gives, and says why when email was turned off meanwhile', async () => {
    await setEmail(true);
    const { page, chat } = await endedChat('Can I change my delivery address?');
    await chat.getByRole('button', { name: 'Email me the transcript' }).click();
    await chat.getByRole('textbox', { name: 'Your email' }).fill('grace@example.test');
    await chat.getByRole('button', { name: 'Send transcript' }).click();
    await chat.getByText('The transcript is on its way to your inbox.').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-transcript-email.png') });
    await expect.poll(() => smtp.received.length, { timeout: 15_000 }).toBe(1);
    const [mail] = smtp.received;
    expect(mail?.to).toEqual(['grace@example.test']);
    expect(mail?.text).toContain('Can I change my delivery address?');

    // Offered from the welcome; turned off since, the server refuses and nothing is sent.
    const second = await endedChat('One more question.');
    await setEmail(false);
    await second.chat.getByRole('button', { name: 'Email me the transcript' }).click();
    await second.chat.getByRole('textbox', { name: 'Your email' }).fill('grace@example.test');
    await second.chat.getByRole('button', { name: 'Send transcript' }).click();
    await second.chat.getByRole('alert').getByText('This website does not send transcripts by email.').waitFor();
    // The visitor may ask again: the button is back.
    expect(await second.chat.getByRole('button', { name: 'Send transcript' }).isEnabled()).toBe(true);
    expect(smtp.received).toHaveLength(1);
  });
});
