import { randomUUID } from 'node:crypto';
import type { OperatorServerFrame, VisitorServerFrame } from '@plauder/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  logIn,
  openOperator,
  openVisitor,
  startVisitorSession,
  type CliRun,
  type Installation,
  type ServerNode,
} from '../test-support/cluster.js';
import type { SocketClient } from '../test-support/socket-client.js';

type Operator = SocketClient<OperatorServerFrame>;
type Visitor = SocketClient<VisitorServerFrame>;

const services = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

/**
 * Two `plauder serve` processes of one installation: one PostgreSQL schema, one Redis, one master
 * key. Nothing is shared in memory, so every event between a visitor on one node and an operator on
 * the other crosses Redis, and every routing decision reads the other node's sockets from the database.
 */
describe.skipIf(!services)('two server nodes sharing PostgreSQL and Redis', { timeout: 60_000 }, () => {
  let installation: Installation;
  let a: ServerNode;
  let b: ServerNode;
  let account: {
    accountId: string;
    ownerId: string;
    ownerEmail: string;
    ownerPassword: string;
    widgetPublicKey: string;
  };
  let bea: { operatorId: string; email: string; password: string };
  const sockets: SocketClient<{ type: string }>[] = [];

  beforeAll(async () => {
    installation = await createInstallation({ dialect: 'postgres', redis: true });
    const cliDir = installation.newDataDir();
    account = jsonOf(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'alice@acme.test', '--owner-name', 'Alice', '--json'],
        cliDir,
      ),
    );
    // The account's command migrated the schema: the rest starts side by side.
    let beaRun: CliRun;
    [beaRun, a, b] = await Promise.all([
      installation.cli(
        ['operator', 'create', '--account', account.accountId, '--email', 'bea@acme.test', '--name', 'Bea', '--json'],
        cliDir,
      ),
      installation.startNode({ dataDir: installation.newDataDir() }),
      installation.startNode({ dataDir: installation.newDataDir() }),
    ]);
    bea = jsonOf(beaRun);
  }, 120_000);
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(async () => {
    await installation?.cleanup();
  });

  async function operatorOn(node: ServerNode, credentials: { email: string; password: string }): Promise<Operator> {
    const socket = await openOperator(node, await logIn(node, credentials));
    sockets.push(socket);
    return socket;
  }

  async function visitorOn(node: ServerNode): Promise<Visitor> {
    const session = await startVisitorSession(node, account.widgetPublicKey);
    const socket = await openVisitor(node, session.token);
    sockets.push(socket);
    return socket;
  }

  async function start(window: Visitor): Promise<Extract<VisitorServerFrame, { type: 'conversation.started' }>> {
    const ref = randomUUID();
    window.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    return window.next('conversation.started', (f) => f.ref === ref);
  }

  const alice = () => ({ email: account.ownerEmail, password: account.ownerPassword });

  it('routes a visitor on one node to an operator on the other; messages, typing, notes, reads and the close cross', async () => {
    const operator = await operatorOn(a, alice());
    const window = await visitorOn(b);
    expect(window.frames[0]).toMatchObject({ type: 'welcome', operatorsAvailable: true });

    const started = await start(window);
    const { conversationId } = started;
    expect(started).toMatchObject({ status: 'open', queuePosition: null });
    expect(await window.next('conversation.assigned')).toMatchObject({ conversationId, operatorName: 'Alice' });
    expect(await operator.next('inbox.assigned', (f) => f.conversationId === conversationId)).toMatchObject({
      operatorId: account.ownerId,
      how: 'routed',
    });

    const question = randomUUID();
    window.send({ type: 'message.send', conversationId, clientMessageId: question, body: 'Do you ship to Vienna?' });
    expect(await window.next('message.ack', (f) => f.clientMessageId === question)).toMatchObject({ seq: 1 });
    expect((await operator.next('message.created', (f) => f.message.seq === 1)).message).toMatchObject({
      conversationId,
      authorKind: 'visitor',
      kind: 'text',
      body: 'Do you ship to Vienna?',
    });

    window.send({ type: 'typing', conversationId, isTyping: true });
    expect(await operator.next('typing')).toEqual({
      type: 'typing',
      conversationId,
      author: 'visitor',
      isTyping: true,
    });
    operator.send({ type: 'typing', conversationId, isTyping: true });
    expect(await window.next('typing')).toEqual({ type: 'typing', conversationId, isTyping: true });

    // A second tab of the operator, on the visitor's node, watches: the note crosses to it, and never
    // to the window.
    const tab = await operatorOn(b, alice());
    tab.send({ type: 'conversation.watch', conversationId });
    await tab.next('watching');
    const note = randomUUID();
    operator.send({ type: 'message.send', conversationId, clientMessageId: note, body: 'Ask logistics', kind: 'note' });
    expect(await operator.next('message.ack', (f) => f.clientMessageId === note)).toMatchObject({ seq: 2 });
    expect((await tab.next('message.created', (f) => f.message.seq === 2)).message).toMatchObject({
      kind: 'note',
      body: 'Ask logistics',
    });
    const answer = randomUUID();
    operator.send({ type: 'message.send', conversationId, clientMessageId: answer, body: 'Yes, in two days.' });
    expect(await operator.next('message.ack', (f) => f.clientMessageId === answer)).toMatchObject({ seq: 3 });
    expect((await window.next('message.created', (f) => f.message.seq === 3)).message).toMatchObject({
      authorKind: 'operator',
      kind: 'text',
      operatorName: 'Alice',
      body: 'Yes, in two days.',
    });

    window.send({ type: 'read', conversationId, seq: 3 });
    expect(await operator.next('read', (f) => f.reader === 'visitor')).toMatchObject({ conversationId, seq: 3 });
    operator.send({ type: 'read', conversationId, seq: 1 });
    expect(await window.next('read')).toEqual({ type: 'read', conversationId, seq: 1 });

    // The visitor's replay skips the note but moves past it.
    const from = window.frames.length;
    window.send({ type: 'resume', conversationId, sinceSeq: 0 });
    // With where it stands: open, with Alice.
    expect(await window.next('resumed', () => true, from)).toEqual({
      type: 'resumed',
      conversationId,
      lastSeq: 3,
      status: 'open',
      queuePosition: null,
      operatorName: 'Alice',
    });
    expect(window.frames.slice(from).flatMap((f) => (f.type === 'message.created' ? [f.message.seq] : []))).toEqual([
      1, 3,
    ]);

    operator.send({ type: 'conversation.close', conversationId });
    expect(await window.next('conversation.closed')).toEqual({
      type: 'conversation.closed',
      conversationId,
      closedBy: 'operator',
    });
    expect(await operator.next('inbox.closed')).toMatchObject({ conversationId, closedBy: 'operator', missed: false });

    // Seq 3 came after the note on the same channel: a note that reached the window would be there by now.
    expect(JSON.stringify(window.frames)).not.toContain('logistics');
    expect(window.frames.filter((f) => f.type === 'message.created' && f.message.kind === 'note')).toEqual([]);
  });

  it('transfers a conversation to an operator on the other node, and hands it back across nodes when that one goes offline', async () => {
    const first = await operatorOn(a, alice());
    const window = await visitorOn(a);
    const { conversationId } = await start(window);
    await first.next('inbox.assigned', (f) => f.conversationId === conversationId && f.operatorId === account.ownerId);
    await window.next('conversation.assigned', (f) => f.operatorName === 'Alice');

    // Bea connects after the routing: with no chat yet today she would otherwise be first in line.
    const second = await operatorOn(b, bea);
    await first.next('presence.changed', (f) => f.operatorId === bea.operatorId && f.status === 'online');

    first.send({ type: 'conversation.transfer', conversationId, operatorId: bea.operatorId });
    const transferred = {
      type: 'inbox.transferred',
      conversationId,
      fromOperatorId: account.ownerId,
      toOperatorId: bea.operatorId,
      // Started (1), routed to Alice (2), transferred (3).
      version: 3,
    };
    expect(await second.next('inbox.transferred')).toEqual(transferred);
    expect(await first.next('inbox.transferred')).toEqual(transferred);
    expect(await window.next('conversation.assigned', (f) => f.operatorName === 'Bea')).toMatchObject({
      conversationId,
    });

    const hello = randomUUID();
    second.send({ type: 'message.send', conversationId, clientMessageId: hello, body: 'Bea here, I take over.' });
    expect(await second.next('message.ack', (f) => f.clientMessageId === hello)).toMatchObject({ seq: 1 });
    expect((await window.next('message.created', (f) => f.message.seq === 1)).message).toMatchObject({
      operatorName: 'Bea',
      body: 'Bea here, I take over.',
    });
    const thanks = randomUUID();
    window.send({ type: 'message.send', conversationId, clientMessageId: thanks, body: 'Thanks!' });
    expect((await second.next('message.created', (f) => f.message.seq === 2)).message).toMatchObject({
      authorKind: 'visitor',
      body: 'Thanks!',
    });
    window.send({ type: 'typing', conversationId, isTyping: true });
    expect(await second.next('typing')).toMatchObject({ conversationId, author: 'visitor', isTyping: true });

    // Only the holder answers the visitor.
    const stray = randomUUID();
    first.send({ type: 'message.send', conversationId, clientMessageId: stray, body: 'Me too' });
    expect(await first.next('error', (f) => f.ref === stray)).toMatchObject({ code: 'conversation_not_assigned' });

    second.send({ type: 'presence.set', status: 'offline' });
    expect(await second.next('presence')).toMatchObject({ status: 'offline' });
    expect(await first.next('inbox.waiting', (f) => f.conversation.id === conversationId && f.requeued)).toMatchObject({
      conversation: { status: 'waiting', operatorId: null, lastSeq: 2 },
    });
    expect(
      await first.next('inbox.assigned', (f) => f.conversationId === conversationId && f.how === 'routed'),
    ).toMatchObject({ operatorId: account.ownerId });
    await first.next('presence.changed', (f) => f.operatorId === bea.operatorId && f.status === 'offline');
    expect(await window.next('conversation.assigned', (f) => f.operatorName === 'Alice')).toMatchObject({
      conversationId,
    });

    const back = randomUUID();
    first.send({ type: 'message.send', conversationId, clientMessageId: back, body: 'Alice again.' });
    expect(await first.next('message.ack', (f) => f.clientMessageId === back)).toMatchObject({ seq: 3 });
    expect((await window.next('message.created', (f) => f.message.seq === 3)).message).toMatchObject({
      operatorName: 'Alice',
    });

    window.send({ type: 'conversation.end', conversationId });
    expect(await window.next('conversation.closed')).toMatchObject({ conversationId, closedBy: 'visitor' });
    expect(await first.next('inbox.closed')).toMatchObject({ conversationId, closedBy: 'visitor', missed: false });
    expect(await second.next('inbox.closed')).toMatchObject({ conversationId, closedBy: 'visitor' });
  });
});
