import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OperatorServerFrame, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { restoreAccount } from '../domain/accounts/restore-account.js';
import { terminateAccount } from '../domain/accounts/terminate-account.js';
import { buildServer, type App } from '../http/server.js';
import { logInAs } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { ACCOUNT_TERMINATED_CLOSE_CODE } from './visitor-connection.js';

type Window = SocketClient<VisitorServerFrame>;
const PASSWORD = 'correct horse battery';

describe(`a chat window of a terminated account (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  let accountId: string;
  let publicKey: string;
  const sockets: SocketClient<{ type: string }>[] = [];

  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    // Safe: a server listening on a TCP port has an AddressInfo address.
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Ada Owner', password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    accountId = created.accountId;
    publicKey = created.widget.publicKey;
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await app.close();
    await t.cleanup();
  });

  async function visitorToken(): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    return response.json<VisitorSessionDto>().token;
  }

  async function openWindow(token: string): Promise<{ window: Window; operatorsAvailable: boolean }> {
    const window = await SocketClient.open<VisitorServerFrame>(
      `${base}/ws/v1/visitor?token=${encodeURIComponent(token)}`,
    );
    sockets.push(window);
    const welcome = await window.next('welcome');
    return { window, operatorsAvailable: welcome.operatorsAvailable };
  }

  /** The owner's console, online: chats started now would reach someone. */
  async function ownerOnline(): Promise<void> {
    const owner = await logInAs(app, { email: 'owner@acme.test', password: PASSWORD });
    const console = await SocketClient.open<OperatorServerFrame>(`${base}/ws/v1/operator`, {
      headers: { cookie: `plauder_session=${owner.cookies?.plauder_session ?? ''}` },
    });
    sockets.push(console);
    await console.next('welcome');
    console.send({ type: 'presence.set', status: 'online' });
    await console.next('presence');
  }

  /** A window with a conversation of one message, the window that started it closed. */
  async function conversationOfOneMessage(): Promise<{ token: string; conversationId: string }> {
    const token = await visitorToken();
    const { window } = await openWindow(token);
    const ref = randomUUID();
    window.send({
      type: 'conversation.start',
      ref,
      clientMessageId: randomUUID(),
      body: 'Hello',
      consent: { version: 'en-1' },
    });
    const { conversationId } = await window.next('conversation.started', (f) => f.ref === ref);
    await window.next('message.ack');
    window.close();
    return { token, conversationId };
  }

  /** The ack or the error that answers a message.send, whichever comes. */
  async function answerTo(
    window: Window,
    input: { clientMessageId: string; from: number },
  ): Promise<VisitorServerFrame> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const answer = window.frames
        .slice(input.from)
        .find(
          (f) =>
            (f.type === 'message.ack' && f.clientMessageId === input.clientMessageId) ||
            (f.type === 'error' && f.ref === input.clientMessageId),
        );
      if (answer) return answer;
      if (Date.now() > deadline) throw new Error(`No answer to ${input.clientMessageId}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const terminate = () => terminateAccount(t.ctx, { by: { kind: 'cli', accountId } });
  const count = async (table: 'messages' | 'contacts' | 'conversations') =>
    (await t.ctx.database.db.selectFrom(table).select('id').execute()).length;

  it('closes an open window at the termination, and its reconnect is welcomed with nobody available', async () => {
    await ownerOnline();
    const { token } = await conversationOfOneMessage();
    const { window, operatorsAvailable } = await openWindow(token);
    expect(operatorsAvailable).toBe(true);

    await terminate();

    expect(await window.closed()).toBe(ACCOUNT_TERMINATED_CLOSE_CODE);
    expect((await openWindow(token)).operatorsAvailable).toBe(false);
  });

  it('answers account_terminated to every frame that would store or announce something new, and stores nothing', async () => {
    const { token, conversationId } = await conversationOfOneMessage();
    await terminate();
    const { window } = await openWindow(token);

    const [messageId, offlineId] = [randomUUID(), randomUUID()];
    const refused: [string, object][] = [
      [messageId, { type: 'message.send', conversationId, clientMessageId: messageId, body: 'More' }],
      ['start', { type: 'conversation.start', ref: 'start', consent: { version: 'en-1' } }],
      [
        offlineId,
        { type: 'offline-message.send', clientMessageId: offlineId, body: 'Call me', consent: { version: 'en-1' } },
      ],
      [conversationId, { type: 'contact.identify', conversationId, name: 'Ada', email: 'ada@example.test' }],
      [conversationId, { type: 'conversation.rate', conversationId, rating: 5, comment: 'Great' }],
      [conversationId, { type: 'typing', conversationId, isTyping: true }],
    ];
    for (const [ref, frame] of refused) {
      const from = window.frames.length;
      window.send(frame);
      const error = await window.next('error', () => true, from);
      expect(error, JSON.stringify(frame)).toMatchObject({ code: 'account_terminated', ref });
    }
    expect([await count('messages'), await count('contacts'), await count('conversations')]).toEqual([1, 0, 1]);
    const rated = await t.ctx.database.db.selectFrom('conversations').select('rating').executeTakeFirstOrThrow();
    expect(rated.rating).toBeNull();
  });

  it('still resumes, reads, pings, ends and erases its conversation in the grace period (P4)', async () => {
    const { token, conversationId } = await conversationOfOneMessage();
    await terminate();
    const { window } = await openWindow(token);

    window.send({ type: 'resume', conversationId, sinceSeq: 0 });
    expect(await window.next('message.created')).toMatchObject({ message: { seq: 1, body: 'Hello' } });
    expect(await window.next('resumed')).toMatchObject({ conversationId, lastSeq: 1 });
    window.send({ type: 'read', conversationId, seq: 1 });
    window.send({ type: 'ping' });
    await window.next('pong');
    window.send({ type: 'conversation.end', conversationId });
    expect(await window.next('conversation.closed')).toMatchObject({ conversationId, closedBy: 'visitor' });
    window.send({ type: 'conversation.delete', conversationId });
    expect(await window.next('conversation.deleted')).toMatchObject({ conversationId });

    expect(window.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect([await count('messages'), await count('conversations')]).toEqual([0, 0]);
  });

  it('lets a window opened in the grace period write again within seconds of a restore', async () => {
    const { token, conversationId } = await conversationOfOneMessage();
    await terminate();
    const { window } = await openWindow(token);
    const refusedId = randomUUID();
    window.send({ type: 'message.send', conversationId, clientMessageId: refusedId, body: 'Still there?' });
    expect(await window.next('error', (f) => f.ref === refusedId)).toMatchObject({ code: 'account_terminated' });

    await restoreAccount(t.ctx, { by: { kind: 'cli', accountId } });

    // The node trusts the status it read for ACCOUNT_STATUS_MAX_AGE_MS; the window sends again until then.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const clientMessageId = randomUUID();
      const from = window.frames.length;
      window.send({ type: 'message.send', conversationId, clientMessageId, body: 'Still there?' });
      if ((await answerTo(window, { clientMessageId, from })).type === 'message.ack') break;
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await count('messages')).toBe(2);
  });
});
