import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OperatorServerFrame, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { accountChannel, type AccountEvent } from '../domain/conversations/events.js';
import { createOperator } from '../domain/operators/create-operator.js';
import { buildServer, type App } from '../http/server.js';
import { getConversation } from '../storage/conversations-repository.js';
import { sumRollups } from '../storage/rollup-sums.js';
import { localSlot } from '../storage/local-time.js';
import { logInAs } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';

type Operator = SocketClient<OperatorServerFrame>;
type Visitor = SocketClient<VisitorServerFrame>;

const password = 'correct horse battery';

describe(`the operator socket (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  let account: { accountId: string; ownerId: string; publicKey: string };
  const sockets: SocketClient<{ type: string }>[] = [];

  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    account = await newAccount('acme');
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await app.close();
    await t.cleanup();
  });

  async function newAccount(name: string) {
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email: `owner@${name}.test`, displayName: `${name} Owner`, password },
      actor: { kind: 'cli', id: null },
    });
    return { accountId: created.accountId, ownerId: created.owner.id, publicKey: created.widget.publicKey };
  }

  async function addOperator(name: string, accountId = account.accountId): Promise<string> {
    const operator = await createOperator(t.ctx, {
      by: { kind: 'cli', accountId },
      email: `${name}@acme.test`,
      displayName: name,
      password,
      role: 'operator',
    });
    return operator.id;
  }

  async function cookieOf(email: string): Promise<string> {
    const caller = await logInAs(app, { email, password });
    return `plauder_session=${caller.cookies?.plauder_session ?? ''}`;
  }

  async function operator(email: string, headers: Record<string, string> = {}): Promise<Operator> {
    const socket = await SocketClient.open<OperatorServerFrame>(`${base}/ws/v1/operator`, {
      headers: { cookie: await cookieOf(email), ...headers },
    });
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }

  async function visitor(publicKey = account.publicKey): Promise<Visitor> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    const session = response.json<VisitorSessionDto>();
    const socket = await SocketClient.open<VisitorServerFrame>(
      `${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`,
    );
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }

  async function start(socket: Visitor): Promise<Extract<VisitorServerFrame, { type: 'conversation.started' }>> {
    const ref = randomUUID();
    socket.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    return socket.next('conversation.started', (f) => f.ref === ref);
  }

  it('refuses a socket without a session, with an ended session, or from another site', async () => {
    await expect(SocketClient.open(`${base}/ws/v1/operator`)).rejects.toThrow('401');
    await expect(
      SocketClient.open(`${base}/ws/v1/operator`, { headers: { cookie: 'plauder_session=forged' } }),
    ).rejects.toThrow('401');
    const cookie = await cookieOf('owner@acme.test');
    await expect(
      SocketClient.open(`${base}/ws/v1/operator`, { headers: { cookie, origin: 'https://evil.example' } }),
    ).rejects.toThrow('403');
    t.clock.advance(24 * 60 * 60 * 1000);
    await expect(SocketClient.open(`${base}/ws/v1/operator`, { headers: { cookie } })).rejects.toThrow('401');
  });

  it('closes an open socket with 4001 once its session ended', async () => {
    const owner = await operator('owner@acme.test', { origin: base.replace('ws:', 'http:') });
    t.clock.advance(24 * 60 * 60 * 1000);
    await app.gateway.checkSessions();
    expect(await owner.closed()).toBe(4001);
  });

  it('routes a new chat to the online operator, and both sides chat with typing, reads and notes', async () => {
    const owner = await operator('owner@acme.test');
    expect(owner.frames[0]).toMatchObject({ type: 'welcome', presence: 'online', capacity: 5, waiting: [] });
    const window = await visitor();
    expect(window.frames[0]).toMatchObject({ type: 'welcome', operatorsAvailable: true });
    const started = await start(window);
    expect(started).toMatchObject({ status: 'open', queuePosition: null });
    const { conversationId } = started;
    expect(await window.next('conversation.assigned')).toMatchObject({ conversationId, operatorName: 'acme Owner' });
    expect(await owner.next('inbox.assigned')).toMatchObject({
      conversationId,
      operatorId: account.ownerId,
      how: 'routed',
    });

    window.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'Hello?' });
    expect((await owner.next('message.created')).message).toMatchObject({
      body: 'Hello?',
      authorKind: 'visitor',
      seq: 1,
    });
    window.send({ type: 'typing', conversationId, isTyping: true });
    expect(await owner.next('typing')).toMatchObject({ conversationId, author: 'visitor', isTyping: true });

    owner.send({ type: 'typing', conversationId, isTyping: true });
    expect(await window.next('typing')).toMatchObject({ conversationId, isTyping: true });
    owner.send({
      type: 'message.send',
      conversationId,
      clientMessageId: randomUUID(),
      body: 'VIP customer',
      kind: 'note',
    });
    const reply = randomUUID();
    owner.send({ type: 'message.send', conversationId, clientMessageId: reply, body: 'Hi, how can I help?' });
    expect(await owner.next('message.ack', (f) => f.clientMessageId === reply)).toMatchObject({ seq: 3 });
    expect((await window.next('message.created', (f) => f.message.authorKind === 'operator')).message).toMatchObject({
      body: 'Hi, how can I help?',
      operatorName: 'acme Owner',
      seq: 3,
    });
    // The sending socket has its acks; its own messages are not echoed back to it.
    expect(owner.frames.filter((f) => f.type === 'message.ack').map((f) => f.type === 'message.ack' && f.seq)).toEqual([
      2, 3,
    ]);
    expect(owner.frames.filter((f) => f.type === 'message.created' && f.message.authorKind === 'operator')).toEqual([]);
    window.send({ type: 'read', conversationId, seq: 3 });
    expect(await owner.next('read')).toMatchObject({ conversationId, reader: 'visitor', seq: 3 });
    owner.send({ type: 'read', conversationId, seq: 1 });
    expect(await window.next('read')).toMatchObject({ conversationId, seq: 1 });

    owner.send({ type: 'conversation.close', conversationId });
    expect(await window.next('conversation.closed')).toMatchObject({ conversationId, closedBy: 'operator' });
    expect(await owner.next('inbox.closed')).toMatchObject({ conversationId, closedBy: 'operator', missed: false });
    expect(JSON.stringify(window.frames)).not.toContain('VIP');
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId: account.accountId, fromDay: day, toDay: day });
    expect(sums.find((s) => s.metric === 'first_response.count')?.value).toBe(1);
  });

  it('queues chats while nobody is online, tells the visitor its place, and routes them when an operator comes', async () => {
    const owner = await operator('owner@acme.test');
    owner.send({ type: 'presence.set', status: 'away' });
    expect(await owner.next('presence')).toEqual({ type: 'presence', status: 'away', capacity: 5 });
    const first = await visitor();
    const second = await visitor();
    expect(await start(first)).toMatchObject({ status: 'waiting', queuePosition: 1 });
    t.clock.advance(1000);
    const started = await start(second);
    expect(started).toMatchObject({ status: 'waiting', queuePosition: 2 });
    expect(await owner.next('inbox.waiting', (f) => f.conversation.id === started.conversationId)).toMatchObject({
      requeued: false,
      conversation: { status: 'waiting', origin: 'chat' },
    });
    owner.send({ type: 'presence.set', status: 'online', capacity: 1 });
    await owner.next('presence', (f) => f.status === 'online');
    await first.next('conversation.assigned');
    expect(await second.next('queue.position')).toMatchObject({ conversationId: started.conversationId, position: 1 });
    owner.send({ type: 'presence.set', status: 'online', capacity: 2 });
    await second.next('conversation.assigned');
  });

  it('hands conversations back when an operator goes offline, and routes them to another', async () => {
    const owner = await operator('owner@acme.test');
    const window = await visitor();
    const { conversationId } = await start(window);
    await owner.next('inbox.assigned');
    await addOperator('bea');
    const bea = await operator('bea@acme.test');
    owner.send({ type: 'presence.set', status: 'offline' });
    expect(await bea.next('inbox.waiting')).toMatchObject({ requeued: true, conversation: { id: conversationId } });
    expect(await bea.next('inbox.assigned', (f) => f.how === 'routed')).toMatchObject({ conversationId });
    expect(await window.next('conversation.assigned', (f) => f.operatorName === 'bea')).toBeTruthy();
    expect(await bea.next('presence.changed', (f) => f.status === 'offline')).toMatchObject({
      operatorId: account.ownerId,
    });
  });

  it('delivers a file sent over HTTP as a message with its attachment, live and on resume', async () => {
    const owner = await operator('owner@acme.test');
    const window = await visitor();
    const { conversationId } = await start(window);
    await owner.next('inbox.assigned');
    const caller = await logInAs(app, { email: 'owner@acme.test', password });
    const upload = await app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${conversationId}/attachments?clientMessageId=${randomUUID()}&fileName=notes.txt`,
      headers: { ...caller.headers, 'content-type': 'application/octet-stream' },
      cookies: caller.cookies ?? {},
      payload: Buffer.from('Opening hours: 9 to 5\n'),
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const attachment = { contentType: 'text/plain', sizeBytes: 22 };
    const live = await window.next('message.created');
    expect(live.message).toMatchObject({ body: 'notes.txt', attachment });
    expect((await owner.next('message.created')).message).toMatchObject({ attachment });
    const from = window.frames.length;
    window.send({ type: 'resume', conversationId, sinceSeq: 0 });
    expect((await window.next('message.created', () => true, from)).message).toEqual(live.message);
  });

  it('accepts, assigns and transfers by hand, and only the holder answers', async () => {
    const owner = await operator('owner@acme.test');
    owner.send({ type: 'presence.set', status: 'away' });
    await owner.next('presence');
    const beaId = await addOperator('bea');
    const bea = await operator('bea@acme.test');
    const welcome = bea.frames[0] as Extract<OperatorServerFrame, { type: 'welcome' }>;
    expect(welcome.presences).toHaveLength(2);
    expect(welcome.presences).toEqual(
      expect.arrayContaining([
        { operatorId: account.ownerId, status: 'away' },
        { operatorId: beaId, status: 'online' },
      ]),
    );
    bea.send({ type: 'presence.set', status: 'away' });
    await bea.next('presence');
    const window = await visitor();
    const { conversationId } = await start(window);

    bea.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'Too early' });
    expect(await bea.next('error')).toMatchObject({ code: 'conversation_not_assigned' });
    bea.send({ type: 'conversation.assign', conversationId, operatorId: account.ownerId });
    expect(await bea.next('error', (f) => f.code === 'forbidden')).toMatchObject({ ref: conversationId });

    bea.send({ type: 'conversation.accept', conversationId });
    expect(await owner.next('inbox.assigned')).toMatchObject({ conversationId, operatorId: beaId, how: 'accepted' });
    owner.send({ type: 'conversation.accept', conversationId });
    expect(await owner.next('error')).toMatchObject({ code: 'conflict', ref: conversationId });

    bea.send({ type: 'conversation.transfer', conversationId, operatorId: account.ownerId });
    expect(await owner.next('inbox.transferred')).toMatchObject({
      conversationId,
      fromOperatorId: beaId,
      toOperatorId: account.ownerId,
    });
    const reply = randomUUID();
    owner.send({ type: 'message.send', conversationId, clientMessageId: reply, body: 'Owner here' });
    await owner.next('message.ack', (f) => f.clientMessageId === reply);
    expect((await window.next('message.created')).message).toMatchObject({ operatorName: 'acme Owner' });
    bea.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'Not mine now' });
    expect(await bea.next('error', (f) => f.code === 'conversation_not_assigned')).toBeTruthy();
    const conversation = await getConversation(t.ctx.store, { accountId: account.accountId, conversationId });
    expect(conversation).toMatchObject({ status: 'open', operatorId: account.ownerId });
  });

  it('ignores inbox events that arrive after a later change of their conversation, as they may from other nodes', async () => {
    const owner = await operator('owner@acme.test');
    const window = await visitor();
    const { conversationId } = await start(window);
    // Routing gave it to the owner: the start's waiting event was version 1, the assignment version 2.
    expect(await owner.next('inbox.assigned', (f) => f.conversationId === conversationId)).toMatchObject({
      operatorId: account.ownerId,
      version: 2,
    });
    const from = owner.frames.length;
    // The start's event once more, as if its node published it after the node that routed: older than
    // what the socket saw, so it neither shows the chat as waiting nor stops following it.
    const late: AccountEvent = {
      type: 'conversation.waiting',
      conversationId,
      widgetId: 'w',
      origin: 'chat',
      requeued: false,
      lastSeq: 0,
      createdAt: 0,
      version: 1,
    };
    await t.ctx.bus.publish(accountChannel(account.accountId), late);
    // Published after it on the same bus, so it arrives after it.
    const fence: AccountEvent = { type: 'presence.changed', operatorId: randomUUID(), status: 'away' };
    await t.ctx.bus.publish(accountChannel(account.accountId), fence);
    await owner.next('presence.changed', (f) => f.operatorId === fence.operatorId);
    expect(owner.frames.slice(from).map((f) => f.type)).toEqual(['presence.changed']);

    window.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'Still there?' });
    expect((await owner.next('message.created', () => true, from)).message.body).toBe('Still there?');
  });

  it('follows a watched conversation until unwatched, and one it holds whatever it unwatches', async () => {
    const owner = await operator('owner@acme.test');
    owner.send({ type: 'presence.set', status: 'away' });
    await owner.next('presence');
    await addOperator('bea');
    const bea = await operator('bea@acme.test');
    const window = await visitor();
    const { conversationId } = await start(window);
    const say = async (body: string) => {
      window.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body });
      await window.next('message.ack', (f) => f.conversationId === conversationId && f.seq > 0, window.frames.length);
    };
    // Bea holds it (routing), the owner watches it.
    await bea.next('inbox.assigned', (f) => f.conversationId === conversationId);
    owner.send({ type: 'conversation.watch', conversationId });
    await owner.next('watching');
    await say('one');
    expect((await owner.next('message.created')).message.body).toBe('one');

    owner.send({ type: 'conversation.unwatch', conversationId });
    expect(await owner.next('unwatched')).toEqual({ type: 'unwatched', conversationId });
    bea.send({ type: 'conversation.unwatch', conversationId });
    await bea.next('unwatched');
    const from = owner.frames.length;
    await say('two');
    expect((await bea.next('message.created', (f) => f.message.body === 'two')).message.seq).toBe(2);
    // A ping answered after the message was delivered to Bea: the owner got nothing in between.
    owner.send({ type: 'ping' });
    await owner.next('pong', () => true, from);
    expect(owner.frames.slice(from).map((f) => f.type)).toEqual(['pong']);
  });

  it("answers another account's conversation as unknown, whatever frame names it", async () => {
    const other = await newAccount('other');
    const otherWindow = await visitor(other.publicKey);
    const { conversationId } = await start(otherWindow);
    const owner = await operator('owner@acme.test');
    for (const frame of [
      { type: 'conversation.watch', conversationId },
      { type: 'conversation.accept', conversationId },
      { type: 'conversation.close', conversationId },
      { type: 'conversation.transfer', conversationId, operatorId: account.ownerId },
      { type: 'typing', conversationId, isTyping: true },
      { type: 'resume', conversationId, sinceSeq: 0 },
      { type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'hi', kind: 'note' },
    ]) {
      const from = owner.frames.length;
      owner.send(frame);
      expect(await owner.next('error', () => true, from), frame.type).toMatchObject({ code: 'not_found' });
    }
    const conversation = await getConversation(t.ctx.store, { accountId: other.accountId, conversationId });
    expect(conversation).toMatchObject({ status: 'waiting', operatorId: null, lastSeq: 0 });
  });

  it('takes offline messages while nobody is online, once per client id, into the inbox', async () => {
    const window = await visitor();
    expect(window.frames[0]).toMatchObject({ type: 'welcome', operatorsAvailable: false });
    const clientMessageId = randomUUID();
    const frame = {
      type: 'offline-message.send',
      clientMessageId,
      body: 'Call me back',
      email: 'ada@example.test',
      consent: { version: 'en-1' },
    };
    window.send(frame);
    window.send(frame);
    await window.next('offline-message.ack');
    await window.next(
      'offline-message.ack',
      () => true,
      window.frames.findIndex((f) => f.type === 'offline-message.ack') + 1,
    );
    const rows = await t.ctx.database.db.selectFrom('conversations').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ origin: 'offline_message', status: 'waiting' });
    const owner = await operator('owner@acme.test');
    const welcome = owner.frames[0] as Extract<OperatorServerFrame, { type: 'welcome' }>;
    expect(welcome.waiting).toMatchObject([{ origin: 'offline_message', status: 'waiting', lastSeq: 1 }]);
    expect(welcome.assigned).toEqual([]);
    const conversation = await getConversation(t.ctx.store, {
      accountId: account.accountId,
      conversationId: rows[0]?.id ?? '',
    });
    expect(conversation?.visitorEmail).toBe('ada@example.test');
    owner.send({ type: 'resume', conversationId: rows[0]?.id, sinceSeq: 0 });
    expect((await owner.next('message.created')).message.body).toBe('Call me back');
  });

  it('answers bad frames with stable codes, limits floods, and closes on an oversized frame (1009)', async () => {
    const owner = await operator('owner@acme.test');
    const problems: [unknown, string][] = [
      ['{not json', 'malformed_frame'],
      [{ type: 'conversation.steal', conversationId: randomUUID() }, 'unknown_frame_type'],
      [{ type: 'presence.set', status: 'busy' }, 'malformed_frame'],
      [{ type: 'presence.set', status: 'online', capacity: 1000 }, 'malformed_frame'],
      [{ type: 'conversation.accept', conversationId: 42 }, 'malformed_frame'],
      [{ type: 'conversation.accept', conversationId: randomUUID() }, 'not_found'],
      [{ type: 'conversation.transfer', conversationId: randomUUID(), operatorId: 'nobody' }, 'malformed_frame'],
    ];
    for (const [frame, code] of problems) {
      const from = owner.frames.length;
      owner.send(frame);
      expect(await owner.next('error', () => true, from), JSON.stringify(frame)).toMatchObject({ code });
    }
    const from = owner.frames.length;
    for (let i = 0; i < 80; i++) owner.send({ type: 'ping' });
    await owner.next('error', (f) => f.code === 'rate_limited', from);
    await new Promise((r) => setTimeout(r, 1_100));
    owner.send({ type: 'ping' });
    await owner.next('pong', () => true, owner.frames.length);
    owner.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(70_000) }));
    expect(await owner.closed()).toBe(1009);
    // The server notes the disconnect once the socket's cleanup ran, a moment after the client saw it.
    const presence = () => t.ctx.database.db.selectFrom('operator_presence').select('disconnected_at').execute();
    const deadline = Date.now() + 5_000;
    while ((await presence())[0]?.disconnected_at == null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await presence()).toEqual([{ disconnected_at: expect.any(Number) as number }]);
  });

  it('drains on close: every frame it ran is acknowledged before the socket closes with 1001', async () => {
    const owner = await operator('owner@acme.test');
    const window = await visitor();
    const { conversationId } = await start(window);
    await owner.next('inbox.assigned');
    const sent = Array.from({ length: 20 }, () => randomUUID());
    for (const clientMessageId of sent) {
      window.send({ type: 'message.send', conversationId, clientMessageId, body: 'Just in time' });
    }
    await window.next('message.ack');
    await app.gateway.close();
    expect(await window.closed()).toBe(1001);
    expect(await owner.closed()).toBe(1001);
    // Whatever ran was acknowledged and stored; whatever came too late was refused and not stored.
    const acked = window.frames.flatMap((f) => (f.type === 'message.ack' ? [f.clientMessageId] : []));
    const stored = await t.ctx.database.db.selectFrom('messages').select('client_message_id').orderBy('seq').execute();
    expect(stored.map((row) => row.client_message_id)).toEqual(acked);
    expect(acked).toEqual(sent.slice(0, acked.length));
    expect(await t.ctx.database.db.selectFrom('operator_sockets').selectAll().execute()).toEqual([]);
  });
});
