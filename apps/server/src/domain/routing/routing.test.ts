import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findConversationState } from '../../storage/conversations-repository.js';
import { registerSocket } from '../../storage/presence-repository.js';
import { insertTestOperator } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { closeConversation } from '../conversations/close-conversation.js';
import { leaveOfflineMessage } from '../conversations/leave-offline-message.js';
import { startConversation } from '../conversations/start-conversation.js';
import { connectOperator, disconnectOperator, keepOperatorsConnected } from '../operators/connect-operator.js';
import { setPresence } from '../operators/set-presence.js';
import { authenticateVisitor, startVisitorSession } from '../visitors/start-visitor-session.js';
import { operatorsAvailable } from './operators-available.js';
import { pickOperator, routeWaiting, SOCKET_STALE_MS } from './route-waiting.js';
import { sweepRouting } from './sweep-routing.js';

describe(`routing (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let publicKey: string;

  beforeEach(async () => {
    t = await createTestContext({ env: { OPERATOR_GRACE_SECONDS: '60' } });
    const created = await createAccount(t.ctx, {
      name: 'Routing',
      plan: 'standard',
      owner: { email: 'owner@routing.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    ({
      accountId,
      widget: { publicKey },
    } = created);
    // The owner stays offline: the tests bring their own operators.
    await setPresence(t.ctx, { accountId, operatorId: created.owner.id, status: 'offline' });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** An operator with a socket on this node, online with `capacity`. */
  async function onlineOperator(name: string, capacity = 5): Promise<{ operatorId: string; socketId: string }> {
    const operator = await insertTestOperator(t.ctx.store, {
      accountId,
      email: `${name}-${randomUUID()}@routing.test`,
      displayName: name,
      role: 'operator',
      passwordHash: 'not-a-real-hash',
      now: t.clock.now(),
    });
    await setPresence(t.ctx, { accountId, operatorId: operator.id, status: 'online', capacity });
    const socketId = randomUUID();
    await connectOperator(t.ctx, { accountId, operatorId: operator.id, socketId });
    return { operatorId: operator.id, socketId };
  }

  /** This node's heartbeat for the sockets of `operators` (the gateway runs it every 10 s). */
  async function heartbeat(...operators: { operatorId: string; socketId: string }[]): Promise<void> {
    await keepOperatorsConnected(t.ctx, {
      sockets: operators.map((operator) => ({ accountId, ...operator })),
      isOpen: () => true,
    });
  }

  /** Starts a chat for a new visitor, a second after the previous one. */
  async function chat(): Promise<string> {
    t.clock.advance(1000);
    const session = await startVisitorSession(t.ctx, { publicKey });
    const visitor = await authenticateVisitor(t.ctx, session.token);
    return (await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } })).conversationId;
  }

  async function holderOf(conversationId: string): Promise<string | null> {
    const state = await findConversationState(t.ctx.database.db, { accountId, conversationId });
    return state?.operatorId ?? null;
  }

  it('picks the fewest open under capacity, then the one who waited longest, then the lowest id', () => {
    const candidate = (operatorId: string, openCount: number, capacity: number, lastAssignedAt: number | null) => ({
      operatorId,
      openCount,
      capacity,
      lastAssignedAt,
    });
    expect(pickOperator([candidate('a', 2, 5, 1), candidate('b', 1, 5, 9)])?.operatorId).toBe('b');
    expect(pickOperator([candidate('a', 1, 1, null), candidate('b', 3, 5, 9)])?.operatorId).toBe('b');
    expect(pickOperator([candidate('a', 1, 5, 9), candidate('b', 1, 5, 3)])?.operatorId).toBe('b');
    expect(pickOperator([candidate('b', 1, 5, 3), candidate('a', 1, 5, null)])?.operatorId).toBe('a');
    expect(pickOperator([candidate('b', 0, 5, null), candidate('a', 0, 5, null)])?.operatorId).toBe('a');
    expect(pickOperator([candidate('a', 5, 5, null)])).toBeUndefined();
  });

  it('spreads chats evenly, round robin among operators with as many open', async () => {
    const operators = [await onlineOperator('ada'), await onlineOperator('bob'), await onlineOperator('cy')];
    const holders = [];
    for (let i = 0; i < 6; i++) holders.push(await holderOf(await chat()));
    const first = holders.slice(0, 3);
    expect(new Set(first).size).toBe(3);
    expect(holders.slice(3)).toEqual(first);
    expect(new Set(holders)).toEqual(new Set(operators.map((o) => o.operatorId)));
  });

  it('keeps chats waiting beyond capacity and routes one when a conversation closes', async () => {
    const ada = await onlineOperator('ada', 1);
    const first = await chat();
    const second = await chat();
    expect(await holderOf(first)).toBe(ada.operatorId);
    expect(await holderOf(second)).toBeNull();
    await closeConversation(t.ctx, {
      by: { kind: 'operator', accountId, operatorId: ada.operatorId },
      conversationId: first,
    });
    expect(await holderOf(second)).toBe(ada.operatorId);
  });

  it('gives nothing new to an operator who is away, and takes back everything when they go offline', async () => {
    const ada = await onlineOperator('ada');
    const held = [await chat(), await chat()];
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'away' });
    const waiting = await chat();
    expect(await holderOf(waiting)).toBeNull();
    const bob = await onlineOperator('bob');
    expect(await holderOf(waiting)).toBe(bob.operatorId);
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'offline' });
    for (const conversationId of held) expect(await holderOf(conversationId)).toBe(bob.operatorId);
  });

  it('counts an operator as available only while online, connected and enabled, busy or not', async () => {
    const available = () => operatorsAvailable(t.ctx, { accountId });
    expect(await available()).toBe(false);
    const ada = await onlineOperator('ada', 1);
    expect(await available()).toBe(true);
    await chat();
    // At capacity, but a chat started now still reaches her after a wait in the queue.
    expect(await available()).toBe(true);
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'away' });
    expect(await available()).toBe(false);
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'online', capacity: 1 });
    expect(await available()).toBe(true);
    t.clock.advance(SOCKET_STALE_MS + 1);
    expect(await available()).toBe(false);
    await heartbeat(ada);
    expect(await available()).toBe(true);
    await disconnectOperator(t.ctx, { accountId, ...ada });
    expect(await available()).toBe(false);
  });

  it('lets a disconnected operator keep their chats for the grace period, then hands them back', async () => {
    const ada = await onlineOperator('ada');
    const conversationId = await chat();
    await disconnectOperator(t.ctx, { accountId, ...ada });
    const bob = await onlineOperator('bob');
    t.clock.advance(59_000);
    await heartbeat(bob);
    await sweepRouting(t.ctx);
    expect(await holderOf(conversationId)).toBe(ada.operatorId);
    t.clock.advance(2_000);
    await heartbeat(bob);
    expect(await sweepRouting(t.ctx)).toMatchObject({ handedBack: 1 });
    expect(await holderOf(conversationId)).toBe(bob.operatorId);
  });

  it('brings back a live socket that another node removed while this node stalled', async () => {
    const ada = await onlineOperator('ada');
    const conversationId = await chat();
    t.clock.advance(SOCKET_STALE_MS + 1);
    expect(await sweepRouting(t.ctx)).toMatchObject({ staleSockets: 1 });
    await heartbeat(ada);
    t.clock.advance(120_000);
    await heartbeat(ada);
    expect(await sweepRouting(t.ctx)).toMatchObject({ handedBack: 0 });
    expect(await holderOf(conversationId)).toBe(ada.operatorId);
    expect(await holderOf(await chat())).toBe(ada.operatorId);
  });

  it('removes again a socket that closed while the heartbeat wrote it back', async () => {
    const ada = await onlineOperator('ada');
    // The heartbeat took its list of open sockets; then the socket closed and was cleaned up.
    await disconnectOperator(t.ctx, { accountId, ...ada });
    await keepOperatorsConnected(t.ctx, { sockets: [{ accountId, ...ada }], isOpen: () => false });
    expect(await operatorsAvailable(t.ctx, { accountId })).toBe(false);
    expect(await holderOf(await chat())).toBeNull();
  });

  it('keeps chats with an operator who reconnects within the grace period', async () => {
    const ada = await onlineOperator('ada');
    const conversationId = await chat();
    await disconnectOperator(t.ctx, { accountId, ...ada });
    t.clock.advance(30_000);
    await connectOperator(t.ctx, { accountId, operatorId: ada.operatorId, socketId: randomUUID() });
    t.clock.advance(120_000);
    await sweepRouting(t.ctx);
    expect(await holderOf(conversationId)).toBe(ada.operatorId);
  });

  it("forgets a dead node's sockets and hands its operators' chats back after the grace period", async () => {
    const ada = await onlineOperator('ada');
    const conversationId = await chat();
    // Another node registers a socket and then dies: nobody refreshes its row any more.
    const other = await insertTestOperator(t.ctx.store, {
      accountId,
      email: `dead-${randomUUID()}@routing.test`,
      displayName: 'dead node operator',
      role: 'operator',
      passwordHash: 'not-a-real-hash',
      now: t.clock.now(),
    });
    await registerSocket(t.ctx.database.db, {
      socketId: randomUUID(),
      accountId,
      operatorId: other.id,
      nodeId: 'dead-node',
      now: t.clock.now(),
    });
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'away' });
    const stranded = await chat();
    expect(await holderOf(stranded)).toBe(other.id);
    t.clock.advance(SOCKET_STALE_MS + 1);
    await heartbeat(ada);
    expect(await sweepRouting(t.ctx)).toMatchObject({ staleSockets: 1, handedBack: 0 });
    t.clock.advance(61_000);
    await heartbeat(ada);
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'online' });
    expect(await sweepRouting(t.ctx)).toMatchObject({ staleSockets: 0, handedBack: 1 });
    expect(await holderOf(stranded)).toBe(ada.operatorId);
    expect(await holderOf(conversationId)).toBe(ada.operatorId);
  });

  it('never routes an offline message', async () => {
    const session = await startVisitorSession(t.ctx, { publicKey });
    const visitor = await authenticateVisitor(t.ctx, session.token);
    const { conversationId } = await leaveOfflineMessage(t.ctx, {
      visitor,
      clientMessageId: randomUUID(),
      body: 'Please call back',
      consent: { version: 'en-1' },
    });
    await onlineOperator('ada');
    await sweepRouting(t.ctx);
    expect(await holderOf(conversationId)).toBeNull();
  });

  it('never gives an operator more than their capacity, however many routing passes race', async () => {
    const ada = await onlineOperator('ada', 3);
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'away' });
    for (let i = 0; i < 8; i++) await chat();
    await setPresence(t.ctx, { accountId, operatorId: ada.operatorId, status: 'online' });
    await Promise.all(Array.from({ length: 6 }, () => routeWaiting(t.ctx, { accountId })));
    const open = await t.ctx.database.db
      .selectFrom('conversations')
      .select('id')
      .where('operator_id', '=', ada.operatorId)
      .where('status', '=', 'open')
      .execute();
    expect(open).toHaveLength(3);
  });
});
