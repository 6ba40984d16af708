import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OperatorServerFrame, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { buildServer, type App } from '../http/server.js';
import { getContact } from '../storage/contacts-repository.js';
import { getConversation } from '../storage/conversations-repository.js';
import { logInAs } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';

type Visitor = SocketClient<VisitorServerFrame>;
type Operator = SocketClient<OperatorServerFrame>;

const password = 'correct horse battery';

describe(`consent, identify and erasure on the visitor socket (${testDialect})`, () => {
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
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Ada Owner', password },
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

  async function visitor(): Promise<Visitor> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    const { token } = response.json<VisitorSessionDto>();
    const socket = await SocketClient.open<VisitorServerFrame>(
      `${base}/ws/v1/visitor?token=${encodeURIComponent(token)}`,
    );
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }

  async function owner(): Promise<Operator> {
    const caller = await logInAs(app, { email: 'owner@acme.test', password });
    const socket = await SocketClient.open<OperatorServerFrame>(`${base}/ws/v1/operator`, {
      headers: { cookie: `plauder_session=${caller.cookies?.plauder_session ?? ''}` },
    });
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }

  async function start(window: Visitor): Promise<string> {
    const ref = randomUUID();
    window.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    return (await window.next('conversation.started', (f) => f.ref === ref)).conversationId;
  }

  it('refuses a start without consent on a widget that asks for it, naming the start, and takes one with it', async () => {
    const window = await visitor();
    const ref = randomUUID();
    window.send({ type: 'conversation.start', ref });
    expect(await window.next('error')).toMatchObject({ code: 'consent_required', ref });
    const conversationId = await start(window);
    expect(await getConversation(t.ctx.store, { accountId, conversationId })).toMatchObject({ consentVersion: 'en-1' });
  });

  it('identifies the visitor of a conversation as a contact, and answers another visitor not_found', async () => {
    const window = await visitor();
    const conversationId = await start(window);
    window.send({ type: 'contact.identify', conversationId, name: 'Ada', email: 'ada@example.test' });
    expect(await window.next('contact.identified')).toEqual({ type: 'contact.identified', conversationId });
    const conversation = await getConversation(t.ctx.store, { accountId, conversationId });
    const contact = await getContact(t.ctx.store, { accountId, contactId: conversation?.contactId ?? '' });
    expect(contact).toMatchObject({ name: 'Ada', email: 'ada@example.test' });

    const stranger = await visitor();
    stranger.send({ type: 'contact.identify', conversationId, name: 'Mallory' });
    expect(await stranger.next('error')).toMatchObject({ code: 'not_found' });
    expect(await getContact(t.ctx.store, { accountId, contactId: contact?.id ?? '' })).toMatchObject({ name: 'Ada' });
  });

  it('erases a conversation for its visitor: the window hears conversation.deleted, the operator inbox.closed', async () => {
    const operator = await owner();
    const window = await visitor();
    const conversationId = await start(window);
    await operator.next('inbox.assigned', (f) => f.conversationId === conversationId);

    const stranger = await visitor();
    stranger.send({ type: 'conversation.delete', conversationId });
    expect(await stranger.next('error')).toMatchObject({ code: 'not_found' });
    expect(await getConversation(t.ctx.store, { accountId, conversationId })).toMatchObject({ status: 'open' });

    window.send({ type: 'conversation.delete', conversationId });
    expect(await window.next('conversation.deleted')).toEqual({ type: 'conversation.deleted', conversationId });
    expect(await operator.next('inbox.closed', (f) => f.conversationId === conversationId)).toMatchObject({
      closedBy: 'visitor',
    });
    expect(await getConversation(t.ctx.store, { accountId, conversationId })).toBeUndefined();

    const from = window.frames.length;
    window.send({ type: 'conversation.delete', conversationId });
    expect(await window.next('error', () => true, from)).toMatchObject({ code: 'not_found' });
    expect(window.frames.some((f) => f.type === 'conversation.closed')).toBe(false);
  });
});
