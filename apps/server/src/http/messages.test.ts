import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OperatorServerFrame, TranscriptPageDto, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';

describe(`deleting one message over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  const sockets: SocketClient<{ type: string }>[] = [];
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    // Safe: a server listening on a TCP port has an AddressInfo address.
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await app.close();
    await t.cleanup();
  });

  function call(caller: Caller, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
  }

  async function account(name: string) {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    const owner = await logInAs(app, { email, password: PASSWORD });
    return { accountId: created.accountId, publicKey: created.widget.publicKey, owner, email };
  }

  /** A visitor's conversation with two messages; answers their ids. */
  async function conversation(publicKey: string): Promise<{ conversationId: string; messageIds: string[] }> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    const session = response.json<VisitorSessionDto>();
    const window = await SocketClient.open<VisitorServerFrame>(
      `${base}/ws/v1/visitor?token=${encodeURIComponent(session.token)}`,
    );
    sockets.push(window);
    await window.next('welcome');
    const ref = randomUUID();
    window.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    const { conversationId } = await window.next('conversation.started', (f) => f.ref === ref);
    const messageIds: string[] = [];
    for (const body of ['My order is 4711', 'My phone is 555-0100']) {
      const clientMessageId = randomUUID();
      window.send({ type: 'message.send', conversationId, clientMessageId, body });
      messageIds.push((await window.next('message.ack', (f) => f.clientMessageId === clientMessageId)).messageId);
    }
    return { conversationId, messageIds };
  }

  const url = (conversationId: string, messageId: string) =>
    `/api/v1/conversations/${conversationId}/messages/${messageId}`;
  const transcript = async (caller: Caller, conversationId: string) =>
    (await call(caller, 'GET', `/api/v1/conversations/${conversationId}/messages`))
      .json<TranscriptPageDto>()
      .messages.map((m) => m.id);

  it('answers 204, drops the message from the transcript and tells the consoles that follow the conversation', async () => {
    const acme = await account('Acme');
    const { conversationId, messageIds } = await conversation(acme.publicKey);
    const [kept, doomed] = messageIds as [string, string];
    const inbox = await SocketClient.open<OperatorServerFrame>(`${base}/ws/v1/operator`, {
      headers: { cookie: `plauder_session=${acme.owner.cookies?.plauder_session ?? ''}` },
    });
    sockets.push(inbox);
    await inbox.next('welcome');
    inbox.send({ type: 'conversation.watch', conversationId });
    await inbox.next('watching');

    const response = await call(acme.owner, 'DELETE', url(conversationId, doomed));

    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');
    expect(await transcript(acme.owner, conversationId)).toEqual([kept]);
    expect(await inbox.next('message.deleted')).toEqual({
      type: 'message.deleted',
      conversationId,
      messageId: doomed,
      seq: 2,
    });
    const again = await call(acme.owner, 'DELETE', url(conversationId, doomed));
    expect(again.statusCode).toBe(404);
    expect(errorOf(again).code).toBe('not_found');
  });

  it('lets write tokens delete, and refuses operators, read tokens, other accounts and malformed ids', async () => {
    const acme = await account('Acme');
    const globex = await account('Globex');
    const { conversationId, messageIds } = await conversation(acme.publicKey);
    const [first, second] = messageIds as [string, string];
    const agentEmail = 'agent@acme.test';
    const created = await call(acme.owner, 'POST', '/api/v1/operators', {
      email: agentEmail,
      displayName: 'Agent',
      password: PASSWORD,
      role: 'operator',
    });
    expect(created.statusCode).toBe(201);
    const agent = await logInAs(app, { email: agentEmail, password: PASSWORD });
    const token = async (scope: 'read' | 'write') =>
      bearer(
        (await call(acme.owner, 'POST', '/api/v1/api-tokens', { name: scope, scope })).json<{ secret: string }>()
          .secret,
      );

    for (const [caller, status, code] of [
      [agent, 403, 'forbidden'],
      [await token('read'), 403, 'forbidden'],
      [globex.owner, 404, 'not_found'],
    ] as const) {
      const response = await call(caller, 'DELETE', url(conversationId, first));
      expect(response.statusCode).toBe(status);
      expect(errorOf(response).code).toBe(code);
    }
    const malformed = await call(acme.owner, 'DELETE', url(conversationId, 'not-a-uuid'));
    expect(errorOf(malformed).code).toBe('validation_failed');
    const unknown = await call(acme.owner, 'DELETE', url(conversationId, randomUUID()));
    expect(errorOf(unknown).code).toBe('not_found');
    expect(await transcript(acme.owner, conversationId)).toEqual([first, second]);

    expect((await call(await token('write'), 'DELETE', url(conversationId, second))).statusCode).toBe(204);
    expect(await transcript(acme.owner, conversationId)).toEqual([first]);
  });
});
