import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logIn, openOperator } from '../../apps/server/src/test-support/cluster.js';
import { signInOverApi } from './support/api.js';
import { addCannedResponse, addOperator, signInToConsole } from './support/console.js';
import { ARTIFACTS, openAndConsent, useWidgetInstallation } from './support/widget-installation.js';

/**
 * An operator's working day in the console: a visitor writes through the real widget on a customer's
 * site, the chat appears live in the inbox, the operator answers, notes, hands it on, closes it, and
 * finds it again by a word of it.
 */
describe('the console inbox', () => {
  const world = useWidgetInstallation();
  let consoleContext: BrowserContext;
  let desk: Page;
  beforeEach(async () => {
    consoleContext = await world.browser.newContext({ viewport: { width: 1400, height: 900 } });
    desk = await consoleContext.newPage();
  });
  afterEach(async () => {
    await consoleContext.close();
  });

  it('shows a visitor live, replies, notes, transfers, closes, and finds the chat by a word', async () => {
    const bob = await addOperator(world.node, world.owner, { email: 'bob@acme.test', displayName: 'Bob Builder' });
    const bobSocket = await openOperator(world.node, await logIn(world.node, bob));
    bobSocket.send({ type: 'presence.set', status: 'away' });
    await bobSocket.next('presence');

    await addCannedResponse(world.node, world.owner, {
      shortcut: 'thanks',
      title: 'Thanks for waiting',
      body: 'Thank you for your patience!',
    });
    await desk.goto(`${world.node.httpUrl}/app`);
    await signInToConsole(desk, world.owner);
    await desk.getByRole('link', { name: /^Mine/ }).waitFor();
    await desk.getByLabel('Your status').selectOption('online');
    // Her own capacity, from the header: routing reads it from the server.
    await desk.getByLabel('Chats at once').fill('3');
    await desk.getByLabel('Chats at once').press('Tab');
    const admin = await signInOverApi(world.node, world.owner);
    await expect
      .poll(async () => {
        // Safe: the route answers { operators: OperatorDto[] }.
        const { operators } = (await (await admin.request('GET', '/api/v1/operators')).json()) as {
          operators: { email: string; capacity: number }[];
        };
        return operators.find((o) => o.email === world.owner.email)?.capacity;
      })
      .toBe(3);

    const chat = await openAndConsent(world);
    await chat.getByRole('textbox', { name: 'Your message' }).fill('Hello, my order Zebra42 never arrived');
    await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');

    // Routed to the only online operator: it appears under Mine, unread, without a reload.
    const row = desk.getByRole('link', { name: /Visitor/ }).first();
    await row.waitFor();
    await expect.poll(() => desk.getByRole('link', { name: /^Mine/ }).textContent()).toContain('1');
    await desk.screenshot({ path: path.join(ARTIFACTS, 'console-inbox.png') });
    await row.click();
    const transcript = desk.getByRole('log', { name: 'Transcript' });
    await transcript.getByText('Hello, my order Zebra42 never arrived').waitFor();
    // The visitor panel: where they were, their language, the notice they accepted; no IP.
    const panel = desk.getByRole('complementary', { name: 'Visitor' });
    await panel.getByText(world.site.url.replace(/\/$/, '')).waitFor();
    await panel.getByText(/Notice en-\d+, accepted/).waitFor();
    expect(await panel.getByText('IP address').count()).toBe(0);

    // The visitor's typing shows in the console.
    await chat.getByRole('textbox', { name: 'Your message' }).pressSequentially('One more');
    await desk.getByText('The visitor is typing…').waitFor();
    await chat.getByRole('textbox', { name: 'Your message' }).fill('');

    // A canned response by its shortcut.
    const reply = desk.getByRole('textbox', { name: 'Reply' });
    await reply.fill('/than');
    await desk.getByRole('listbox', { name: 'Canned responses' }).getByText('Thanks for waiting').waitFor();
    await reply.press('Enter');
    expect(await reply.inputValue()).toBe('Thank you for your patience!');
    await reply.press('Enter');
    await chat.getByText('Thank you for your patience!').waitFor();

    // A file: sent from the console, shown in the window.
    await desk.locator('.composer input[type=file]').setInputFiles({
      name: 'opening-hours.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Mon-Fri 9-17'),
    });
    await desk
      .getByRole('log', { name: 'Transcript' })
      .getByRole('link', { name: /opening-hours\.txt/ })
      .waitFor();
    await chat.getByText('opening-hours.txt').waitFor();

    // Typing reaches the visitor, then the reply.
    const composer = desk.getByRole('textbox', { name: 'Reply' });
    await composer.pressSequentially('Sorry to hear');
    await chat.getByText(/typing/i).waitFor();
    await composer.fill('Let me check order Zebra42 for you.');
    await composer.press('Enter');
    await chat.getByText('Let me check order Zebra42 for you.').waitFor();
    await transcript.getByText('Let me check order Zebra42 for you.').waitFor();

    // A note: the colleagues see it, the visitor never does.
    await desk.getByRole('radio', { name: 'Internal note' }).check();
    await desk.getByRole('textbox', { name: 'Internal note' }).fill('Customer since 2019, be generous');
    await desk.getByRole('button', { name: 'Add note' }).click();
    await transcript.getByText('Customer since 2019, be generous').waitFor();

    // The visitor answers; the operator sees it live, then hands the chat to Bob.
    await chat.getByRole('textbox', { name: 'Your message' }).fill('Thank you!');
    await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');
    await transcript.getByText('Thank you!').waitFor();
    // The visitor's socket had everything sent before their answer: the note was not among it.
    await chat.getByText('Thank you!').waitFor();
    expect(await chat.getByText('Customer since 2019, be generous').count()).toBe(0);
    await desk.screenshot({ path: path.join(ARTIFACTS, 'console-conversation.png') });
    await desk.getByLabel('Transfer to').selectOption({ label: 'Bob Builder (away)' });
    await desk.getByRole('button', { name: 'Transfer' }).click();
    const transferred = await bobSocket.next('inbox.transferred');
    expect(transferred.toOperatorId).toBe(bob.id);
    await desk.getByText('Open, with Bob Builder').waitFor();
    // Only the holder replies now: the composer offers notes.
    await desk.getByText('Only the operator who holds this conversation replies').waitFor();

    await desk.getByRole('button', { name: 'Close' }).click();
    // The conversation's own status line (the view tab "Closed" is always there).
    await desk
      .getByRole('region', { name: 'Conversation with Visitor' })
      .getByText('Closed', { exact: true })
      .waitFor();
    await chat
      .getByText(/ended|closed/i)
      .first()
      .waitFor();

    // The shortcuts are listed on `?`; `2` goes to Mine, now empty.
    await desk.keyboard.press('?');
    await desk.getByRole('dialog', { name: 'Keyboard shortcuts' }).getByText('Next conversation').waitFor();
    await desk.getByRole('button', { name: 'Close', exact: true }).last().click();
    await desk.keyboard.press('2');
    await desk.getByText('You have no open conversations.').waitFor();

    // Search finds the closed chat by a word of it, in another case, and opens it.
    await desk.getByRole('link', { name: 'Search' }).click();
    await desk.getByRole('searchbox').fill('zebra42');
    await desk.getByRole('searchbox').press('Enter');
    const hit = desk.getByRole('link', { name: /closed · .* 2 matching messages/ });
    await hit.waitFor();
    await hit.click();
    await desk.getByRole('log', { name: 'Transcript' }).getByText('Hello, my order Zebra42 never arrived').waitFor();
    bobSocket.close();
  });
});
