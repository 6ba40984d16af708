import { randomUUID } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import type { VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { conversationChannel, type ConversationEvent } from '../domain/conversations/events.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { buildServer, type App } from '../http/server.js';
import { getConversation } from '../storage/conversations-repository.js';
import { sealMessageBody } from '../storage/messages-repository.js';
import { sumRollups } from '../storage/rollup-sums.js';
import { hourlyMetric } from '../storage/rollup-metrics.js';
import { localSlot } from '../storage/local-time.js';
import { assignConversationRow } from '../storage/routing-repository.js';
import { timeOrderedUuid } from '@plauder/protocol';
import { SocketClient } from '../test-support/socket-client.js';
import { SUBPROTOCOL } from './gateway.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';

/** A test client of the visitor socket. */
type Client = SocketClient<VisitorServerFrame>;
const Client = { open: (url: string) => SocketClient.open<VisitorServerFrame>(url) };

describe('the visitor socket', () => {
  let t: TestContext;
  let app: App;
  let base: string;
  let publicKey: string;
  let accountId: string;
  let ownerId: string;
  const clients: Client[] = [];

  beforeEach(async () => {
    t = await createTestContext({ env: { MAX_FRAME_BYTES: '4096', MAX_MESSAGE_CHARS: '100' } });
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Ada Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    publicKey = created.widget.publicKey;
    accountId = created.accountId;
    ownerId = created.owner.id;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await app.close();
    await t.cleanup();
  });

  /** Gives a conversation to the owner, as routing or an accept would. */
  async function assignToOwner(conversationId: string): Promise<void> {
    const now = t.clock.now();
    await assignConversationRow(t.ctx.database.db, {
      accountId,
      conversationId,
      operatorId: ownerId,
      from: 'waiting',
      now,
    });
  }

  async function visitor(): Promise<{ client: Client; session: VisitorSessionDto }> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    const session = response.json<VisitorSessionDto>();
    const client = await Client.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`);
    clients.push(client);
    await client.next('welcome');
    return { client, session };
  }

  async function start(client: Client): Promise<string> {
    const ref = randomUUID();
    client.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    return (await client.next('conversation.started', (f) => f.ref === ref)).conversationId;
  }

  it('takes the visitor token as a subprotocol, so it stays out of URLs and access logs', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    const { token } = response.json<VisitorSessionDto>();
    const client = await SocketClient.open<VisitorServerFrame>(`${base}/ws/v1/visitor`, {
      protocols: [SUBPROTOCOL, `token.${token}`],
    });
    clients.push(client);
    expect(client.protocol).toBe(SUBPROTOCOL);
    expect(await client.next('welcome')).toMatchObject({ type: 'welcome' });
    const [, payload, signature] = token.split('.');
    await expect(
      SocketClient.open(`${base}/ws/v1/visitor`, { protocols: [SUBPROTOCOL, `token.vt1.${payload}.x${signature}`] }),
    ).rejects.toThrow('upgrade refused with 401');
  });

  it('answers a start sent again after a reconnect with the conversation the first one made', async () => {
    const { client, session } = await visitor();
    const ref = randomUUID();
    const clientMessageId = randomUUID();
    client.send({
      type: 'conversation.start',
      ref,
      clientMessageId,
      body: 'First words',
      consent: { version: 'en-1' },
    });
    const first = await client.next('conversation.started', (f) => f.ref === ref);
    await client.next('message.ack');
    client.close();
    // The window did not hear the answer (as far as it knows) and sends the same start again.
    const again = await Client.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`);
    clients.push(again);
    again.send({ type: 'conversation.start', ref, clientMessageId, body: 'First words', consent: { version: 'en-1' } });
    expect(await again.next('conversation.started', (f) => f.ref === ref)).toMatchObject({
      conversationId: first.conversationId,
    });
    expect(await again.next('message.ack')).toMatchObject({ conversationId: first.conversationId, seq: 1 });
    const stored = await t.ctx.database.db.selectFrom('messages').select('seq').execute();
    expect(stored).toEqual([{ seq: 1 }]);
  });

  it('welcomes the visitor, starts a conversation in the queue and acknowledges messages in order', async () => {
    const { client, session } = await visitor();
    expect(client.frames[0]).toMatchObject({
      type: 'welcome',
      v: 1,
      visitorId: session.visitorId,
      limits: { maxMessageChars: 100 },
    });
    const conversationId = await start(client);
    expect(client.frames.find((f) => f.type === 'conversation.started')).toMatchObject({
      status: 'waiting',
      queuePosition: 1,
    });

    const ids = Array.from({ length: 10 }, () => randomUUID());
    for (const [i, clientMessageId] of ids.entries())
      client.send({ type: 'message.send', conversationId, clientMessageId, body: `m${i}` });
    const acks = await Promise.all(ids.map((id) => client.next('message.ack', (f) => f.clientMessageId === id)));
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Another window of the same visitor sees the messages; the sending one has its acks instead.
    const other = await Client.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`);
    clients.push(other);
    other.send({ type: 'resume', conversationId, sinceSeq: 9 });
    expect((await other.next('message.created', (f) => f.message.seq === 10)).message).toMatchObject({
      authorKind: 'visitor',
      body: 'm9',
      conversationId,
    });
    client.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'm10' });
    expect((await other.next('message.created', (f) => f.message.seq === 11)).message.body).toBe('m10');
    expect(client.frames.filter((f) => f.type === 'message.created')).toEqual([]);

    const day = localSlot('UTC', t.clock.now()).day;
    expect(await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day })).toEqual([
      { metric: 'conversations.started', value: 1 },
      { metric: hourlyMetric('conversations.started', localSlot('UTC', t.clock.now()).hour), value: 1 },
      { metric: 'messages.visitor', value: 11 },
    ]);
  });

  it('drops a queue place or an assignment that arrives after a later change, as they may from other nodes', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    const from = client.frames.length;
    const publish = (event: ConversationEvent) => t.ctx.bus.publish(conversationChannel(conversationId), event);
    // The owner took the chat (version 2) on one node; another node's queue places and an older
    // assignment (read before it) arrive after it. A typing event published last marks the end.
    await publish({ type: 'conversation.assigned', conversationId, operatorId: ownerId, version: 2 });
    await publish({ type: 'queue.position', conversationId, position: 1, version: 1 });
    await publish({ type: 'conversation.assigned', conversationId, operatorId: randomUUID(), version: 1 });
    await publish({ type: 'typing', conversationId, author: 'operator', operatorId: ownerId, isTyping: true });
    await client.next('typing', () => true, from);
    await client.next('conversation.assigned', () => true, from);
    expect(client.frames.slice(from).map((f) => f.type)).toEqual(
      expect.arrayContaining(['typing', 'conversation.assigned']),
    );
    expect(client.frames.slice(from)).toHaveLength(2);
    expect(client.frames.slice(from).find((f) => f.type === 'conversation.assigned')).toMatchObject({
      operatorName: 'Ada Owner',
    });
  });

  it('stores a resent message once and answers the resend with the same ack', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    const clientMessageId = randomUUID();
    client.send({ type: 'message.send', conversationId, clientMessageId, body: 'Hello' });
    const first = await client.next('message.ack');
    const count = client.frames.length;
    client.send({ type: 'message.send', conversationId, clientMessageId, body: 'Hello' });
    const second = await client.next('message.ack', () => true, count);
    expect(second).toEqual(first);
    const rows = await t.ctx.database.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('announces a resent message again, so a message stored but never announced still reaches the others live', async () => {
    const { client, session } = await visitor();
    const conversationId = await start(client);
    // A second window of the same visitor follows the conversation.
    const other = await Client.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`);
    clients.push(other);
    other.send({ type: 'resume', conversationId, sinceSeq: 0 });
    await other.next('resumed');
    // Stored as a send stores it, but never announced: as when its process ended right after the commit.
    const clientMessageId = randomUUID();
    const now = t.clock.now();
    const key = await t.ctx.keyring.subjectKey(t.ctx.database.db, {
      accountId,
      kind: 'conversation',
      subjectId: conversationId,
    });
    const messageId = timeOrderedUuid(now);
    const stored = await t.ctx.database.appendMessage({
      accountId,
      conversationId,
      clientMessageId,
      author: { kind: 'visitor', visitorId: session.visitorId },
      kind: 'text',
      messageId,
      bodySealed: sealMessageBody(key, 'Sent before the crash', { accountId, messageId }),
      now,
    });
    expect(stored.status).toBe('stored');
    // The window sends it again after reconnecting: acknowledged as stored, and announced to the others.
    const count = client.frames.length;
    client.send({ type: 'message.send', conversationId, clientMessageId, body: 'Sent before the crash' });
    const ack = await client.next('message.ack', () => true, count);
    const created = await other.next('message.created', (f) => f.message.body === 'Sent before the crash');
    expect(created.message).toMatchObject({ id: ack.messageId, seq: ack.seq, body: 'Sent before the crash' });
    // The sender gets no echo of its own message.
    client.send({ type: 'ping' });
    await client.next('pong', () => true, count);
    expect(client.frames.slice(count).some((f) => f.type === 'message.created')).toBe(false);
  });

  it('delivers operator messages with the operator name, never internal notes', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    await assignToOwner(conversationId);
    const author = { kind: 'operator' as const, accountId, operatorId: ownerId };
    await sendMessage(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      body: 'Internal: VIP',
      kind: 'note',
    });
    await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'How can I help?' });
    const delivered = await client.next('message.created', (f) => f.message.authorKind === 'operator');
    expect(delivered.message).toMatchObject({ body: 'How can I help?', operatorName: 'Ada Owner', seq: 2 });
    client.send({ type: 'ping' });
    await client.next('pong');
    expect(JSON.stringify(client.frames)).not.toContain('VIP');
  });

  it('replays what a reconnecting window missed, after the seq it names, and says where the conversation stands', async () => {
    const { client, session } = await visitor();
    const conversationId = await start(client);
    for (const body of ['one', 'two', 'three']) {
      client.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body });
    }
    await client.next('message.ack', (f) => f.seq === 3);
    client.close();
    const again = await Client.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`);
    clients.push(again);
    again.send({ type: 'resume', conversationId, sinceSeq: 1 });
    const resumed = await again.next('resumed');
    // Where it stands, too: still waiting, first in line, nobody's yet.
    expect(resumed).toEqual({
      type: 'resumed',
      conversationId,
      lastSeq: 3,
      status: 'waiting',
      queuePosition: 1,
      operatorName: null,
    });
    const replayed = again.frames
      .filter((f) => f.type === 'message.created')
      .map((f) => f.type === 'message.created' && f.message.body);
    expect(replayed).toEqual(['two', 'three']);
  });

  it("refuses another visitor's conversation as unknown and stores nothing", async () => {
    const first = await visitor();
    const conversationId = await start(first.client);
    const { client } = await visitor();
    const clientMessageId = randomUUID();
    client.send({ type: 'message.send', conversationId, clientMessageId, body: 'Intruder' });
    expect(await client.next('error')).toMatchObject({ code: 'not_found', ref: clientMessageId });
    client.send({ type: 'resume', conversationId, sinceSeq: 0 });
    expect(await client.next('error', (f) => f.ref === conversationId)).toMatchObject({ code: 'not_found' });
    expect(await t.ctx.database.db.selectFrom('messages').selectAll().execute()).toHaveLength(0);
  });

  it('ends a conversation for every window, counts it as missed when nobody answered, and refuses more messages', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    t.clock.advance(90_000);
    client.send({ type: 'conversation.end', conversationId });
    expect(await client.next('conversation.closed')).toEqual({
      type: 'conversation.closed',
      conversationId,
      closedBy: 'visitor',
    });
    let from = client.frames.length;
    client.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'Still there?' });
    expect(await client.next('error', () => true, from)).toMatchObject({ code: 'conversation_closed' });
    from = client.frames.length;
    client.send({ type: 'conversation.end', conversationId });
    expect(await client.next('error', () => true, from)).toMatchObject({ code: 'conversation_closed' });

    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day });
    expect(sums).toEqual(
      expect.arrayContaining([
        { metric: 'conversations.closed', value: 1 },
        { metric: 'conversations.missed', value: 1 },
        { metric: 'duration.total_ms', value: 90_000 },
      ]),
    );
  });

  it('takes a rating with a sealed comment, and a second rating replaces the first in the reports', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    client.send({ type: 'conversation.rate', conversationId, rating: 4, comment: 'Quick and kind' });
    await client.next('conversation.rated');
    const from = client.frames.length;
    client.send({ type: 'conversation.rate', conversationId, rating: 2 });
    await client.next('conversation.rated', () => true, from);
    const conversation = await getConversation(t.ctx.store, { accountId, conversationId });
    expect(conversation).toMatchObject({ rating: 2, ratingComment: null });
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day });
    expect(sums).toEqual(
      expect.arrayContaining([
        { metric: 'ratings.count', value: 1 },
        { metric: 'ratings.sum', value: 2 },
        { metric: 'ratings.r2', value: 1 },
      ]),
    );
    // The first rating's place in the distribution went with it (a row that sums to 0).
    expect(sums.find((s) => s.metric === 'ratings.r4')?.value ?? 0).toBe(0);

    const other = await visitor();
    other.client.send({ type: 'conversation.rate', conversationId, rating: 1 });
    expect(await other.client.next('error')).toMatchObject({ code: 'not_found' });
  });

  it("never lets a visitor follow another visitor's conversation, whatever frame names it", async () => {
    const victim = await visitor();
    const conversationId = await start(victim.client);
    const { client } = await visitor();
    for (const frame of [
      { type: 'conversation.end', conversationId },
      { type: 'typing', conversationId, isTyping: true },
      { type: 'read', conversationId, seq: 1 },
      { type: 'conversation.rate', conversationId, rating: 5 },
    ]) {
      const from = client.frames.length;
      client.send(frame);
      expect(await client.next('error', () => true, from), frame.type).toMatchObject({ code: 'not_found' });
    }
    victim.client.send({
      type: 'message.send',
      conversationId,
      clientMessageId: randomUUID(),
      body: 'my secret address',
    });
    await victim.client.next('message.ack');
    await assignToOwner(conversationId);
    await sendMessage(t.ctx, {
      author: { kind: 'operator', accountId, operatorId: ownerId },
      conversationId,
      clientMessageId: randomUUID(),
      body: 'operator reply',
    });
    await victim.client.next('message.created', (f) => f.message.authorKind === 'operator');
    client.send({ type: 'ping' });
    await client.next('pong');
    expect(JSON.stringify(client.frames)).not.toMatch(/secret address|operator reply/);
    const conversation = await getConversation(t.ctx.store, { accountId, conversationId });
    expect(conversation).toMatchObject({ status: 'open', rating: null });
  });

  it('acknowledges the resend of a message stored before the conversation closed', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    const clientMessageId = randomUUID();
    client.send({ type: 'message.send', conversationId, clientMessageId, body: 'Last words' });
    const ack = await client.next('message.ack');
    client.send({ type: 'conversation.end', conversationId });
    await client.next('conversation.closed');
    const from = client.frames.length;
    client.send({ type: 'message.send', conversationId, clientMessageId, body: 'Last words' });
    expect(await client.next('message.ack', () => true, from)).toEqual(ack);
  });

  it('releases the bus subscriptions of closed sockets', async () => {
    const subscribe = t.ctx.bus.subscribe.bind(t.ctx.bus);
    let live = 0;
    t.ctx.bus.subscribe = async (channel, handler) => {
      const unsubscribe = await subscribe(channel, handler);
      live++;
      return async () => {
        live--;
        await unsubscribe();
      };
    };
    // A slow bus (a Redis round trip) keeps frames in flight while their sockets close.
    const publish = t.ctx.bus.publish.bind(t.ctx.bus);
    t.ctx.bus.publish = async (channel, message) => {
      await new Promise((r) => setTimeout(r, 50));
      await publish(channel, message);
    };
    const { client: first, session } = await visitor();
    const conversationId = await start(first);
    first.close();
    for (let i = 0; i < 10; i++) {
      const client = await Client.open(`${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`);
      client.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'bye' });
      client.send({ type: 'resume', conversationId, sinceSeq: 0 });
      await new Promise((r) => setTimeout(r, 5));
      client.ws.terminate();
    }
    const deadline = Date.now() + 5_000;
    while (live > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(live).toBe(0);
  });

  it('survives clients that reset the connection in the middle of an upgrade', async () => {
    const { session } = await visitor();
    const port = (app.server.address() as AddressInfo).port;
    for (let i = 0; i < 20; i++) {
      // Half with a refused token (answered at once), half with a good one (upgraded after a lookup).
      const token = i % 2 === 0 ? 'forged' : encodeURIComponent(session.token);
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `GET /ws/v1/visitor?token=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 0);
        });
        socket.on('error', () => undefined);
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    const { client } = await visitor();
    client.send({ type: 'ping' });
    await client.next('pong');
  });

  it('answers an upgrade whose target is not a URL path with 400 and goes on serving', async () => {
    const port = (app.server.address() as AddressInfo).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'GET http://[/ws/v1/visitor HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
      });
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"bad_request"');
    const { client } = await visitor();
    client.send({ type: 'ping' });
    await client.next('pong');
  });

  it('answers bad frames with clear codes and keeps the socket open', async () => {
    const { client } = await visitor();
    const conversationId = await start(client);
    client.send('{not json');
    expect(await client.next('error')).toMatchObject({ code: 'malformed_frame' });
    let from = client.frames.length;
    client.send({ type: 'message.delete', conversationId });
    expect(await client.next('error', () => true, from)).toMatchObject({ code: 'unknown_frame_type' });
    from = client.frames.length;
    client.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 42 });
    expect(await client.next('error', () => true, from)).toMatchObject({ code: 'malformed_frame' });
    from = client.frames.length;
    client.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'x'.repeat(101) });
    expect(await client.next('error', () => true, from)).toMatchObject({ code: 'message_too_long' });
    client.send({ type: 'ping' });
    await client.next('pong');
  });

  it('closes a socket that sends an oversized frame with 1009', async () => {
    const { client } = await visitor();
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.send({ type: 'ping', padding: 'x'.repeat(5000) });
    expect(await closed).toBe(1009);
  });

  it('answers a flood with rate_limited and goes on serving', async () => {
    const { client } = await visitor();
    for (let i = 0; i < 100; i++) client.send({ type: 'ping' });
    await client.next('error', (f) => f.code === 'rate_limited');
    await new Promise((r) => setTimeout(r, 300));
    const from = client.frames.length;
    client.send({ type: 'ping' });
    await client.next('pong', () => true, from);
  });

  it('refuses the upgrade for a forged, an expired or a missing token, and for unknown paths', async () => {
    const { session } = await visitor();
    const forged = session.token.slice(0, -4) + 'AAAA';
    await expect(Client.open(`${base}/ws/v1/visitor?token=${forged}`)).rejects.toThrow(/401/);
    await expect(Client.open(`${base}/ws/v1/visitor`)).rejects.toThrow(/401/);
    await expect(Client.open(`${base}/ws/v2/visitor?token=${session.token}`)).rejects.toThrow(/400/);
    await expect(Client.open(`${base}/ws/chat`)).rejects.toThrow(/404/);
    t.clock.advance(13 * 60 * 60 * 1000);
    await expect(Client.open(`${base}/ws/v1/visitor?token=${session.token}`)).rejects.toThrow(/401/);
  });
});
