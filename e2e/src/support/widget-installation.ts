import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { OperatorServerFrame } from '@plauder/protocol';
import type { Browser, BrowserContext, FrameLocator, Page, WebSocket as PageSocket } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import {
  createInstallation,
  jsonOf,
  logIn,
  openOperator,
  type Installation,
  type ServerNode,
} from '../../../apps/server/src/test-support/cluster.js';
import type { SocketClient } from '../../../apps/server/src/test-support/socket-client.js';
import { launchChromium } from './browser.js';
import { serveSite, type Site } from './site.js';
import { chatButton, chatWindow, pageWithSnippet } from './widget.js';

/** Screenshots of the journeys, kept by CI as artifacts. */
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../artifacts');

/** What a journey of the widget works with; filled in by the hooks of useWidgetInstallation. */
export interface WidgetWorld {
  installation: Installation;
  node: ServerNode;
  browser: Browser;
  /** The account's owner, Ada Lovelace, and the public key of its widget. */
  owner: { email: string; password: string; publicKey: string };
  /** A customer's site on another origin, with the snippet. */
  site: Site;
  /** A fresh browser context and page for each test (1280×800). */
  context: BrowserContext;
  page: Page;
  /** The WebSockets the page (and its frames) opened. */
  sockets: PageSocket[];
}

/**
 * Registers hooks that start an embedded installation with one account, Chromium and a customer's
 * site for the tests of the calling file, and a fresh browser context per test.
 */
export function useWidgetInstallation(): WidgetWorld {
  // Filled in by beforeAll and beforeEach before any test reads it.
  const world = {} as WidgetWorld;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    world.installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = world.installation.newDataDir();
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string; widgetPublicKey: string }>(
      await world.installation.cli(
        [
          'account',
          'create',
          '--name',
          'Acme',
          '--owner-email',
          'ada@acme.test',
          '--owner-name',
          'Ada Lovelace',
          '--json',
        ],
        dataDir,
      ),
    );
    world.owner = { email: created.ownerEmail, password: created.ownerPassword, publicKey: created.widgetPublicKey };
    // Long enough for the 10,000-character word of the hostile messages.
    world.node = await world.installation.startNode({ dataDir, env: { MAX_MESSAGE_CHARS: '12000' } });
    world.browser = await launchChromium();
    world.site = await serveSite({
      '/': pageWithSnippet({
        loaderUrl: `${world.node.httpUrl}/widget/v1/loader.js`,
        publicKey: world.owner.publicKey,
      }),
    });
  });
  afterAll(async () => {
    await world.site?.close();
    await world.browser?.close();
    await world.installation?.cleanup();
  });
  beforeEach(async () => {
    world.context = await world.browser.newContext({ viewport: { width: 1280, height: 800 } });
    world.page = await world.context.newPage();
    const sockets: PageSocket[] = [];
    world.sockets = sockets;
    world.page.on('websocket', (socket) => sockets.push(socket));
  });
  afterEach(async () => {
    await world.context.close();
  });
  return world;
}

/** The account's owner online in the console, driven over the operator socket. */
export async function operatorOnline(world: WidgetWorld): Promise<SocketClient<OperatorServerFrame>> {
  const operator = await openOperator(world.node, await logIn(world.node, world.owner));
  operator.send({ type: 'presence.set', status: 'online' });
  await operator.next('presence');
  return operator;
}

/**
 * What the browser stores: cookies, and the site's localStorage and sessionStorage keys. (The chat
 * window's frame cannot store anything: Chromium denies storage to cross-site frames here, which is
 * why the window hands what it keeps to the loader.)
 */
export async function stored(world: WidgetWorld): Promise<{ cookies: number; site: string[] }> {
  return {
    cookies: (await world.context.cookies()).length,
    site: await world.page.evaluate<string[]>('Object.keys(localStorage).concat(Object.keys(sessionStorage))'),
  };
}

/** Opens the window on the site and accepts the privacy notice. */
export async function openAndConsent(world: WidgetWorld): Promise<FrameLocator> {
  await world.page.goto(world.site.url);
  await chatButton(world.page).click();
  const chat = chatWindow(world.page);
  await chat.getByRole('button', { name: 'Accept and start chatting' }).click();
  return chat;
}

/** Sends a message from the window and waits until the operator has it. */
export async function say(chat: FrameLocator, operator: SocketClient<OperatorServerFrame>, body: string) {
  await chat.getByRole('textbox', { name: 'Your message' }).fill(body);
  await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');
  return (await operator.next('message.created', (f) => f.message.body === body)).message;
}

/** Sends a text message as the operator. */
export function reply(operator: SocketClient<OperatorServerFrame>, conversationId: string, body: string): void {
  operator.send({ type: 'message.send', conversationId, clientMessageId: crypto.randomUUID(), body, kind: 'text' });
}

/** The chat window's frame, for evaluating scripts inside it. */
export function windowFrame(world: WidgetWorld) {
  const frame = world.page.frames().find((f) => f.url().startsWith(world.node.httpUrl));
  if (!frame) throw new Error('The chat window is not open');
  return frame;
}
