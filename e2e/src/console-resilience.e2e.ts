import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logIn, openOperator } from '../../apps/server/src/test-support/cluster.js';
import { addOperator, signInToConsole } from './support/console.js';
import { openAndConsent, useWidgetInstallation } from './support/widget-installation.js';

/** The console when things go wrong under it: a lost connection, a colleague's close, an ended session. */
describe('the console under trouble', () => {
  const world = useWidgetInstallation();
  let deskContext: BrowserContext;
  let desk: Page;
  beforeEach(async () => {
    deskContext = await world.browser.newContext({ viewport: { width: 1400, height: 900 } });
    desk = await deskContext.newPage();
  });
  afterEach(async () => {
    await deskContext.close();
  });

  /** The owner online in the console with a visitor's chat open in it. */
  async function chatOpenInConsole(first: string): Promise<FrameLocator> {
    await desk.goto(`${world.node.httpUrl}/app`);
    await signInToConsole(desk, world.owner);
    await desk.getByLabel('Your status').selectOption('online');
    await expect.poll(() => desk.getByLabel('Your status').inputValue()).toBe('online');
    const chat = await openAndConsent(world);
    await chat.getByRole('textbox', { name: 'Your message' }).fill(first);
    await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');
    // Each test closes its chat at the end, so this operator's only open chat is the new one.
    await desk.locator('a.row').click();
    await desk.getByRole('log', { name: 'Transcript' }).getByText(first).waitFor();
    return chat;
  }

  it('shows a lost connection, keeps what was written meanwhile, and sends it after reconnecting', async () => {
    const chat = await chatOpenInConsole('Is anyone there?');
    const { dataDir, port } = world.node;
    await world.node.stop();
    await desk.getByRole('status').getByText('Connection lost. Reconnecting…').waitFor();

    const composer = desk.getByRole('textbox', { name: 'Reply' });
    await composer.fill('Yes, sorry for the wait!');
    await composer.press('Enter');
    await desk.getByText('Sending…').waitFor();

    world.node = await world.installation.startNode({ dataDir, port, env: { MAX_MESSAGE_CHARS: '12000' } });
    await chat.getByText('Yes, sorry for the wait!').waitFor({ timeout: 45_000 });
    await desk.getByRole('status').waitFor({ state: 'detached' });
    const transcript = desk.getByRole('log', { name: 'Transcript' });
    await expect.poll(() => transcript.getByText('Yes, sorry for the wait!').count()).toBe(1);
    expect(await desk.getByText('Sending…').count()).toBe(0);
    await desk.getByRole('button', { name: 'Close' }).click();
  });

  it('says so when a colleague closes the open conversation, and keeps the draft', async () => {
    const bob = await addOperator(world.node, world.owner, { email: 'bea@acme.test', displayName: 'Bea' });
    const bea = await openOperator(world.node, await logIn(world.node, bob));
    // Away: the chat is routed to the console's operator, not to her.
    bea.send({ type: 'presence.set', status: 'away' });
    await bea.next('presence');
    await chatOpenInConsole('Can you help me?');
    const composer = desk.getByRole('textbox', { name: 'Reply' });
    await composer.fill('Half a sentence I am still');
    const conversationId = desk.url().split('/').at(-1)!;
    bea.send({ type: 'conversation.close', conversationId });
    await desk.getByText('This conversation was closed by a colleague. Your draft is kept.').waitFor();
    expect(await desk.getByRole('textbox', { name: 'Internal note' }).inputValue()).toBe('Half a sentence I am still');
    bea.close();
  });

  it('brings sign-in back when the session ends mid-typing, and the draft is still there after', async () => {
    await chatOpenInConsole('Hello?');
    const conversationUrl = desk.url();
    await desk.getByRole('textbox', { name: 'Reply' }).fill('A long answer I do not want to lose');
    // The session ends under the open console (as an expiry or a sign-out elsewhere does).
    await deskContext.clearCookies();
    await desk.getByRole('link', { name: 'Contacts' }).click();
    await desk.getByText('Your session ended. Sign in again to go on where you were.').waitFor();
    await signInToConsole(desk, world.owner);
    await desk.getByRole('link', { name: 'Inbox' }).waitFor();
    await desk.goBack();
    expect(desk.url()).toBe(conversationUrl);
    expect(await desk.getByRole('textbox', { name: 'Reply' }).inputValue()).toBe('A long answer I do not want to lose');
    await desk.getByRole('button', { name: 'Close' }).click();
  });
});
