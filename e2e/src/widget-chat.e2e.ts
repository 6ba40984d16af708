import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  openAndConsent,
  operatorOnline,
  say,
  stored,
  useWidgetInstallation,
} from './support/widget-installation.js';
import { chatButton, chatWindow } from './support/widget.js';
import { logIn, openOperator } from '../../apps/server/src/test-support/cluster.js';
import { serveSite } from './support/site.js';

describe('chatting through the widget', () => {
  const w = useWidgetInstallation();

  it('opens, connects only after consent, chats with an operator, and keeps the conversation across a reload', async () => {
    const { page, owner, site } = w;
    const operator = await operatorOnline(w);
    const sessions: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/visitor-sessions')) sessions.push(request.method());
    });
    await page.goto(site.url);
    await chatButton(page).click();
    const chat = chatWindow(page);
    const accept = chat.getByRole('button', { name: 'Accept and start chatting' });
    await accept.waitFor();
    await page.waitForTimeout(300);
    // The window is open, but before the consent there is no session and no socket.
    expect({ sessions, sockets: w.sockets.length }).toEqual({ sessions: [], sockets: 0 });
    await accept.click();
    await expect.poll(() => w.sockets.length).toBe(1);
    expect(sessions).toEqual(['POST']);
    expect(await stored(w)).toEqual({ cookies: 0, site: [] });

    await chat.getByRole('textbox', { name: 'Your message' }).fill('Hello, is my order on its way?');
    await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');
    const assigned = await operator.next('inbox.assigned');
    const conversationId = assigned.conversationId;
    const first = await operator.next('message.created', (f) => f.message.conversationId === conversationId);
    expect(first.message.body).toBe('Hello, is my order on its way?');
    await expect.poll(() => stored(w)).toEqual({ cookies: 0, site: [`plauder:${owner.publicKey}`] });

    operator.send({ type: 'typing', conversationId, isTyping: true });
    await chat.getByText('Ada Lovelace is typing…').waitFor();
    operator.send({ type: 'read', conversationId, seq: first.message.seq });
    await chat.getByText('· Read').waitFor();
    operator.send({
      type: 'message.send',
      conversationId,
      clientMessageId: crypto.randomUUID(),
      body: 'Yes, it ships today: https://track.example/42',
      kind: 'text',
    });
    await chat.getByText('Yes, it ships today:').waitFor();
    const link = chat.getByRole('link', { name: 'https://track.example/42' });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    await chat.getByText('AL', { exact: true }).first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-chat-desktop.png') });

    await page.reload();
    // Reopened by itself, resumed from the server.
    await chatWindow(page).getByText('Yes, it ships today:').waitFor();
    await chatWindow(page).getByText('Hello, is my order on its way?').waitFor();
    await chatWindow(page).getByRole('textbox', { name: 'Your message' }).fill('Thanks!');
    await chatWindow(page).getByRole('textbox', { name: 'Your message' }).press('Enter');
    const again = await operator.next('message.created', (f) => f.message.body === 'Thanks!');
    expect(again.message.conversationId).toBe(conversationId);
    operator.close();
  });

  it('offers the offline form when nobody is online, and the message reaches the inbox', async () => {
    const { node, owner } = w;
    const chat = await openAndConsent(w);
    await chat.getByText('Nobody is available right now.').waitFor();
    await chat.getByRole('textbox', { name: 'Your message' }).fill('Please call me back about my invoice.');
    await chat.getByRole('textbox', { name: 'Your email' }).fill('grace@example.com');
    await chat.getByRole('button', { name: 'Send message' }).click();
    await chat.getByText('Thank you. Your message was sent.').waitFor();
    const operator = await openOperator(node, await logIn(node, owner));
    const welcome = await operator.next('welcome');
    expect(welcome.waiting.some((c) => c.origin === 'offline_message')).toBe(true);
    operator.close();
  });

  it('downloads the transcript, ends the chat with a rating, and erases the conversation on request', async () => {
    const { page } = w;
    const operator = await operatorOnline(w);
    const chat = await openAndConsent(w);
    const sent = await say(chat, operator, 'My order number is 4711.');
    operator.send({
      type: 'message.send',
      conversationId: sent.conversationId,
      clientMessageId: crypto.randomUUID(),
      body: 'Found it, thank you.',
      kind: 'text',
    });
    await chat.getByText('Found it, thank you.').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      chat.getByRole('button', { name: 'Download transcript' }).click(),
    ]);
    const transcript = readFileSync(await download.path(), 'utf8');
    expect(transcript).toMatch(/\] You: My order number is 4711\.\n.*\] Ada Lovelace: Found it, thank you\.\n$/);

    await chat.getByRole('button', { name: 'End conversation' }).click();
    await chat.getByRole('button', { name: 'End conversation?' }).click();
    await chat.getByText('This conversation has ended.').waitFor();
    await chat.getByRole('button', { name: '4 of 5' }).click();
    await chat.getByRole('button', { name: 'Send rating' }).click();
    await chat.getByText('Thank you for your rating.').waitFor();

    await chat.getByRole('button', { name: 'Delete this conversation' }).click();
    await chat.getByRole('button', { name: 'Yes, delete it' }).click();
    await chat.getByText('This conversation was deleted.').waitFor();
    // Gone on the server: the operator can no longer read it.
    operator.send({ type: 'resume', conversationId: sent.conversationId, sinceSeq: 0 });
    expect((await operator.next('error', (f) => f.ref === sent.conversationId)).code).toBe('not_found');
    expect(await stored(w)).toEqual({ cookies: 0, site: [] });
    operator.close();
  });

  it('sends a picture with a preview, and the operator gets it as an attachment', async () => {
    const operator = await operatorOnline(w);
    const chat = await openAndConsent(w);
    await say(chat, operator, 'Here is a photo of the damage.');
    await chat.locator('input[type=file]').setInputFiles({ name: 'damage.png', mimeType: 'image/png', buffer: PNG });
    const created = await operator.next('message.created', (f) => f.message.attachment !== undefined);
    expect(created.message).toMatchObject({ body: 'damage.png', attachment: { contentType: 'image/png' } });
    const preview = chat.getByRole('img', { name: 'Image: damage.png' });
    await preview.waitFor();
    expect(await preview.getAttribute('src')).toMatch(/^blob:/);
    expect(await preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(1);
    operator.close();
  });

  it("speaks the browser's German, and tells the site its events and the visitor's name only after consent", async () => {
    const { node, owner, browser } = w;
    const operator = await operatorOnline(w);
    const german = await browser.newContext({ locale: 'de-DE' });
    const frames: string[] = [];
    const identified = await serveSite({
      '/': `<!doctype html><title>Acme</title><script>
        window.events = [];
        window.addEventListener('plauder:ready', () => {
          for (const name of ['open', 'conversation.started', 'message'])
            Plauder.on(name, (detail) => events.push(detail ? name + ':' + detail.authorKind : name));
          Plauder.identify({ name: 'Grace Hopper', email: 'grace@example.com' });
        });
      </script>
      <script async src="${node.httpUrl}/widget/v1/loader.js" data-widget="${owner.publicKey}"></script>`,
    });
    try {
      const deutsch = await german.newPage();
      deutsch.on('websocket', (socket) => socket.on('framesent', (f) => frames.push(String(f.payload))));
      await deutsch.goto(identified.url);
      expect(await chatButton(deutsch).getAttribute('aria-label')).toBe('Chat: Chat öffnen');
      await chatButton(deutsch).click();
      const chat = chatWindow(deutsch);
      await chat.getByRole('button', { name: 'Zustimmen und Chat beginnen' }).waitFor();
      await deutsch.waitForTimeout(300);
      expect(frames.filter((f) => f.includes('Grace'))).toEqual([]);
      await chat.getByRole('button', { name: 'Zustimmen und Chat beginnen' }).click();
      await chat.getByRole('textbox', { name: 'Ihre Nachricht' }).fill('Guten Tag');
      await chat.getByRole('textbox', { name: 'Ihre Nachricht' }).press('Enter');
      const { message } = await operator.next('message.created', (f) => f.message.body === 'Guten Tag');
      operator.send({
        type: 'message.send',
        conversationId: message.conversationId,
        clientMessageId: crypto.randomUUID(),
        body: 'Willkommen bei Acme.',
        kind: 'text',
      });
      await chat.getByText('Willkommen bei Acme.').waitFor();
      await expect.poll(() => frames.some((f) => f.includes('"contact.identify"'))).toBe(true);
      const types = frames.map((f) => (JSON.parse(f) as { type: string }).type);
      expect(types.indexOf('contact.identify')).toBeGreaterThan(types.indexOf('conversation.start'));
      expect(JSON.parse(frames.find((f) => f.includes('"conversation.start"'))!)).toMatchObject({
        consent: { version: 'de-1' },
      });
      await expect
        .poll(() => deutsch.evaluate('window.events'))
        .toEqual(['open', 'conversation.started', 'message:operator']);
    } finally {
      await german.close();
      await identified.close();
      operator.close();
    }
  });
});

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
