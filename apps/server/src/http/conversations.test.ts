import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type {
  ConversationDetailDto,
  ConversationPageDto,
  ConversationView,
  Role,
  TranscriptPageDto,
  VisitorServerFrame,
  VisitorSessionDto,
} from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../crypto/visitor-token.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { sendAttachment } from '../domain/attachments/send-attachment.js';
import { identifyVisitor } from '../domain/contacts/identify-visitor.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { eraseConversation } from '../domain/conversations/erase-conversation.js';
import { leaveOfflineMessage } from '../domain/conversations/leave-offline-message.js';
import { rateConversation } from '../domain/conversations/rate-conversation.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { insertContact } from '../storage/contacts-repository.js';
import { insertConversation, VISITOR_IP_TTL_MS } from '../storage/conversations-repository.js';
import { insertVisitor } from '../storage/widgets-repository.js';
import { seedAnotherVisitor } from '../test-support/fixtures.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const BASE = '/api/v1/conversations';
const CONSENT = { version: 'en-1' };

/** An account with its owner logged in and its first widget. */
interface Tenant {
  accountId: string;
  widgetId: string;
  publicKey: string;
  ownerId: string;
  owner: Caller;
}

describe(`conversations over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  function call(caller: Caller, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
  }

  async function tenant(name: string): Promise<Tenant> {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return {
      accountId: created.accountId,
      widgetId: created.widget.id,
      publicKey: created.widget.publicKey,
      ownerId: created.owner.id,
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  }

  /** A logged-in operator of the tenant with `role`, and their id. */
  async function colleague(of: Tenant, role: Role): Promise<{ id: string; caller: Caller }> {
    const email = `${role}-${randomUUID().slice(0, 8)}@${of.accountId.slice(0, 8)}.test`;
    const response = await call(of.owner, 'POST', '/api/v1/operators', {
      email,
      displayName: `An ${role}`,
      password: PASSWORD,
      role,
    });
    expect(response.statusCode, response.body).toBe(201);
    return { id: response.json<{ id: string }>().id, caller: await logInAs(app, { email, password: PASSWORD }) };
  }

  async function token(of: Tenant, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(of.owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  /** A new visitor of the tenant's widget starts a chat (with consent); answers its id and the visitor. */
  async function chat(of: Tenant): Promise<{ id: string; visitor: VisitorTokenClaims }> {
    const visitor = await seedAnotherVisitor(t.ctx, of);
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: CONSENT });
    return { id: conversationId, visitor };
  }

  /** Gives a conversation to an operator, as accepting it would, at the clock's time. */
  async function hold(conversationId: string, operatorId: string): Promise<void> {
    await t.ctx.database.db
      .updateTable('conversations')
      .set({ operator_id: operatorId, status: 'open', updated_at: t.clock.now() })
      .where('id', '=', conversationId)
      .execute();
  }

  async function list(caller: Caller, query: string): Promise<ConversationPageDto> {
    const response = await call(caller, 'GET', `${BASE}?${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<ConversationPageDto>();
  }

  const ids = (page: ConversationPageDto) => page.conversations.map((c) => c.id);

  /** Every conversation of a view, fetched `limit` at a time by following the cursors. */
  async function listAll(caller: Caller, view: ConversationView, limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: ConversationPageDto = await list(
        caller,
        `view=${view}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      pages.push(ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    return pages;
  }

  async function detail(caller: Caller, id: string): Promise<ConversationDetailDto> {
    const response = await call(caller, 'GET', `${BASE}/${id}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<ConversationDetailDto>();
  }

  async function transcript(caller: Caller, id: string, query = ''): Promise<TranscriptPageDto> {
    const response = await call(caller, 'GET', `${BASE}/${id}/messages${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<TranscriptPageDto>();
  }

  it('lists waiting oldest first, open and mine by last change, closed by last close, with contact names', async () => {
    const acme = await tenant('Acme');
    const agent = await colleague(acme, 'operator');
    const first = await chat(acme);
    t.clock.advance(1000);
    const second = await chat(acme);
    t.clock.advance(1000);
    const third = await chat(acme);
    t.clock.advance(1000);
    const fourth = await chat(acme);
    t.clock.advance(1000);
    const fifth = await chat(acme);
    await identifyVisitor(t.ctx, { visitor: second.visitor, conversationId: second.id, name: 'Grace Hopper' });
    t.clock.advance(1000);
    await hold(third.id, acme.ownerId);
    t.clock.advance(1000);
    await hold(fourth.id, agent.id);
    t.clock.advance(1000);
    await hold(first.id, acme.ownerId);
    t.clock.advance(1000);
    await closeConversation(t.ctx, {
      by: { kind: 'operator', accountId: acme.accountId, operatorId: acme.ownerId },
      conversationId: first.id,
    });
    t.clock.advance(1000);
    await closeConversation(t.ctx, { by: { kind: 'visitor', ...fifth.visitor }, conversationId: fifth.id });

    const waiting = await list(acme.owner, 'view=waiting');
    expect(ids(waiting)).toEqual([second.id]);
    expect(waiting).toEqual({
      conversations: [
        {
          id: second.id,
          widgetId: acme.widgetId,
          status: 'waiting',
          origin: 'chat',
          operatorId: null,
          contactName: 'Grace Hopper',
          lastSeq: 0,
          createdAt: expect.any(Number) as number,
          updatedAt: expect.any(Number) as number,
          closedAt: null,
          version: 1,
        },
      ],
      nextCursor: null,
    });
    expect(ids(await list(acme.owner, 'view=open'))).toEqual([fourth.id, third.id]);
    expect(ids(await list(acme.owner, 'view=mine'))).toEqual([third.id]);
    expect(ids(await list(agent.caller, 'view=mine'))).toEqual([fourth.id]);
    const closed = await list(agent.caller, 'view=closed');
    expect(ids(closed)).toEqual([fifth.id, first.id]);
    expect(closed.conversations[0]).toMatchObject({ status: 'closed', closedAt: t.clock.now(), version: 2 });

    t.clock.advance(1000);
    await sendMessage(t.ctx, {
      author: { kind: 'visitor', ...third.visitor },
      conversationId: third.id,
      clientMessageId: randomUUID(),
      body: 'still there?',
    });
    expect(ids(await list(acme.owner, 'view=open'))).toEqual([third.id, fourth.id]);
  });

  it('pages through rows that tie on their time with an opaque cursor: none repeated, none missed', async () => {
    const acme = await tenant('Acme');
    const started: string[] = [];
    for (let i = 0; i < 7; i++) started.push((await chat(acme)).id);

    const waiting = await listAll(acme.owner, 'waiting', 3);
    expect(waiting.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(waiting.flat().sort()).toEqual([...started].sort());
    // Ties on created_at go by id, in the direction of the list.
    expect(waiting.flat()).toEqual([...started].sort());

    for (const id of started) await hold(id, acme.ownerId);
    const open = await listAll(acme.owner, 'open', 2);
    expect(open.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    expect(open.flat()).toEqual([...started].sort().reverse());
    expect(await listAll(acme.owner, 'mine', 7)).toEqual([[...started].sort().reverse()]);

    const page = await list(acme.owner, 'view=open&limit=2');
    expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(page.nextCursor).not.toContain(page.conversations[1]?.id ?? '-');
  });

  it('answers validation_failed for a bad view, limit or cursor, and for mine asked by an API token', async () => {
    const acme = await tenant('Acme');
    for (let i = 0; i < 3; i++) await chat(acme);
    const { nextCursor } = await list(acme.owner, 'view=waiting&limit=1');
    expect(nextCursor).not.toBeNull();
    const bad = [
      '',
      'view=inbox',
      'view=waiting&limit=0',
      'view=waiting&limit=501',
      'view=waiting&limit=ten',
      'view=waiting&cursor=%%%',
      `view=waiting&cursor=${Buffer.from('waiting:12:not-an-id').toString('base64url')}`,
      `view=open&cursor=${nextCursor ?? ''}`,
      `view=waiting&cursor=${'A'.repeat(201)}`,
    ];
    for (const query of bad) {
      const response = await call(acme.owner, 'GET', `${BASE}?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(errorOf(response).code, query).toBe('validation_failed');
    }
    expect(ids(await list(acme.owner, `view=waiting&limit=500`))).toHaveLength(3);

    const reader = await token(acme, 'read');
    const mine = await call(reader, 'GET', `${BASE}?view=mine`);
    expect(mine.statusCode).toBe(400);
    expect(errorOf(mine)).toMatchObject({ code: 'validation_failed' });
    expect(ids(await list(reader, 'view=waiting'))).toHaveLength(3);
  });

  it("shows every role its own account's conversations only; another account's id answers 404 like an unknown one", async () => {
    const acme = await tenant('Acme');
    const beta = await tenant('Beta');
    const ours = await chat(acme);
    const theirs = await chat(beta);
    await sendMessage(t.ctx, {
      author: { kind: 'visitor', ...theirs.visitor },
      conversationId: theirs.id,
      clientMessageId: randomUUID(),
      body: 'hello Beta',
    });
    const agent = await colleague(acme, 'operator');
    const admin = await colleague(acme, 'admin');
    const reader = await token(acme, 'read');

    for (const caller of [acme.owner, admin.caller, agent.caller, reader]) {
      expect(ids(await list(caller, 'view=waiting'))).toEqual([ours.id]);
      expect((await detail(caller, ours.id)).id).toBe(ours.id);
      expect(await transcript(caller, ours.id)).toEqual({ messages: [], hasMore: false });
      for (const url of [`${BASE}/${theirs.id}`, `${BASE}/${theirs.id}/messages`, `${BASE}/${randomUUID()}`]) {
        const response = await call(caller, 'GET', url);
        expect(response.statusCode, url).toBe(404);
        expect(errorOf(response).code).toBe('not_found');
      }
    }
    const unknownId = randomUUID();
    const unknown = errorOf(await call(acme.owner, 'GET', `${BASE}/${unknownId}/messages`)).message;
    const foreign = errorOf(await call(acme.owner, 'GET', `${BASE}/${theirs.id}/messages`)).message;
    expect(foreign.replace(theirs.id, unknownId)).toBe(unknown);
    for (const url of [
      `${BASE}/not-a-uuid`,
      `${BASE}/not-a-uuid/messages`,
      `${BASE}/${ours.id}/messages?before=0`,
      `${BASE}/${ours.id}/messages?before=2147483648`,
      `${BASE}/${ours.id}/messages?before=1e300`,
      `${BASE}/${ours.id}/messages?limit=1001`,
    ]) {
      const response = await call(acme.owner, 'GET', url);
      expect(response.statusCode, url).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
    expect((await app.inject({ method: 'GET', url: `${BASE}?view=waiting` })).statusCode).toBe(401);
  });

  it('shows the visitor panel: consent, page without its query, contact, offline email and rating', async () => {
    const acme = await tenant('Acme');
    const visitor = await seedAnotherVisitor(t.ctx, acme);
    const { conversationId } = await startConversation(t.ctx, {
      visitor,
      consent: CONSENT,
      context: {
        pageUrl: 'https://shop.example.test/cart/checkout?coupon=SECRET#pay',
        language: 'de-DE',
        timeZone: 'Europe/Berlin',
      },
      clientAddress: '203.0.113.7',
    });
    await identifyVisitor(t.ctx, { visitor, conversationId, name: 'Ada', email: 'ada@example.test' });
    await closeConversation(t.ctx, { by: { kind: 'visitor', ...visitor }, conversationId });
    await rateConversation(t.ctx, { visitor, conversationId, rating: 4, comment: 'quick and kind' });

    const shown = await detail(acme.owner, conversationId);
    const contactId = shown.contact?.id ?? '';
    expect(shown).toEqual({
      id: conversationId,
      widgetId: acme.widgetId,
      status: 'closed',
      origin: 'chat',
      operatorId: null,
      contactName: 'Ada',
      lastSeq: 0,
      createdAt: t.clock.now(),
      updatedAt: t.clock.now(),
      closedAt: t.clock.now(),
      version: 2,
      consent: { version: 'en-1', at: t.clock.now() },
      visitor: { pageUrl: 'https://shop.example.test/cart/checkout', language: 'de-DE', timeZone: 'Europe/Berlin' },
      contact: { id: contactId, name: 'Ada', email: 'ada@example.test' },
      offlineEmail: null,
      rating: { score: 4, comment: 'quick and kind' },
      // The account does not show IPs: none was stored, none is shown.
      visitorIp: null,
    });
    const row = await t.ctx.database.db
      .selectFrom('conversations')
      .select(['visitor_ip_sealed', 'visitor_ip_expires_at', 'visitor_context_sealed'])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
    expect(Buffer.from(row.visitor_context_sealed ?? []).toString('latin1')).not.toContain('shop.example.test');

    const offline = await seedAnotherVisitor(t.ctx, acme);
    const left = await leaveOfflineMessage(t.ctx, {
      visitor: offline,
      clientMessageId: randomUUID(),
      body: 'Call me back',
      email: 'bob@example.test',
      consent: CONSENT,
    });
    expect(await detail(acme.owner, left.conversationId)).toMatchObject({
      origin: 'offline_message',
      status: 'waiting',
      lastSeq: 1,
      consent: { version: 'en-1' },
      visitor: {},
      contact: null,
      offlineEmail: 'bob@example.test',
      rating: null,
      visitorIp: null,
    });
  });

  it("reads a transcript newest page first, oldest first within it, with notes, operators' names and files", async () => {
    const acme = await tenant('Acme');
    const { id, visitor } = await chat(acme);
    await hold(id, acme.ownerId);
    const operator = { kind: 'operator' as const, accountId: acme.accountId, operatorId: acme.ownerId };
    const send = async (input: { author: typeof operator | { kind: 'visitor' }; body: string; kind?: 'note' }) => {
      t.clock.advance(1000);
      await sendMessage(t.ctx, {
        author: input.author.kind === 'visitor' ? { kind: 'visitor', ...visitor } : operator,
        conversationId: id,
        clientMessageId: randomUUID(),
        body: input.body,
        ...(input.kind ? { kind: input.kind } : {}),
      });
    };
    await send({ author: { kind: 'visitor' }, body: 'Hello' });
    await send({ author: operator, body: 'Hi, how can I help?' });
    await send({ author: operator, body: 'VIP customer', kind: 'note' });
    t.clock.advance(1000);
    await sendAttachment(t.ctx, {
      author: { kind: 'visitor', ...visitor },
      conversationId: id,
      clientMessageId: randomUUID(),
      fileName: 'order.txt',
      data: Buffer.from('order 42'),
    });
    await send({ author: { kind: 'visitor' }, body: 'Here is my order' });

    const all = await transcript(acme.owner, id);
    expect(all.hasMore).toBe(false);
    expect(all.messages.map((m) => [m.seq, m.authorKind, m.kind, m.body])).toEqual([
      [1, 'visitor', 'text', 'Hello'],
      [2, 'operator', 'text', 'Hi, how can I help?'],
      [3, 'operator', 'note', 'VIP customer'],
      [4, 'visitor', 'text', 'order.txt'],
      [5, 'visitor', 'text', 'Here is my order'],
    ]);
    expect(all.messages[1]).toEqual({
      id: expect.any(String) as string,
      conversationId: id,
      seq: 2,
      authorKind: 'operator',
      kind: 'text',
      body: 'Hi, how can I help?',
      createdAt: expect.any(Number) as number,
      operatorName: 'Acme Owner',
    });
    expect(all.messages[3]?.attachment).toEqual({
      id: expect.any(String) as string,
      contentType: 'text/plain',
      sizeBytes: 8,
    });
    expect(all.messages[0]).not.toHaveProperty('operatorName');

    const newest = await transcript(acme.owner, id, '?limit=2');
    expect(newest.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(newest.hasMore).toBe(true);
    const older = await transcript(acme.owner, id, '?limit=2&before=4');
    expect(older.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(older.hasMore).toBe(true);
    const oldest = await transcript(acme.owner, id, '?limit=2&before=2');
    expect(oldest).toMatchObject({ messages: [{ seq: 1 }], hasMore: false });
    expect(await transcript(acme.owner, id, '?before=1')).toEqual({ messages: [], hasMore: false });

    await eraseConversation(t.ctx, { conversationId: id, by: { kind: 'visitor', ...visitor } });
    for (const url of [`${BASE}/${id}`, `${BASE}/${id}/messages`]) {
      const response = await call(acme.owner, 'GET', url);
      expect(response.statusCode, url).toBe(404);
      expect(errorOf(response).code).toBe('not_found');
    }
    expect(ids(await list(acme.owner, 'view=closed'))).toEqual([]);
  });

  it('lists a page of 500 conversations with 500 contacts, each name opened', async () => {
    const acme = await tenant('Acme');
    const expected = new Map<string, string>();
    const now = t.clock.now();
    // Written straight through the repositories: the page is what is measured, not 500 starts.
    for (let i = 0; i < 500; i++) {
      const name = `Contact ${i}`;
      const visitorId = await insertVisitor(t.ctx.database.db, {
        accountId: acme.accountId,
        widgetId: acme.widgetId,
        now,
      });
      const contactId = await insertContact(t.ctx.store, { accountId: acme.accountId, name, now });
      const id = await insertConversation(t.ctx.store, {
        accountId: acme.accountId,
        widgetId: acme.widgetId,
        visitorId,
        contactId,
        now: now + (i % 10),
      });
      expected.set(id, name);
    }
    const page = await list(acme.owner, 'view=waiting&limit=500');
    expect(page.nextCursor).toBeNull();
    expect(new Map(page.conversations.map((c) => [c.id, c.contactName]))).toEqual(expected);
    expect(page.conversations.map((c) => c.createdAt)).toEqual([...page.conversations.map((c) => c.createdAt)].sort());
  }, 120_000);
});

describe(`the visitor's IP address over a real socket (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  const sockets: SocketClient<VisitorServerFrame>[] = [];
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await app.close();
    await t.cleanup();
  });

  async function start(publicKey: string): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });
    const { token } = response.json<VisitorSessionDto>();
    const socket = await SocketClient.open<VisitorServerFrame>(`${base}/ws/v1/visitor`, {
      protocols: ['plauder.v1', `token.${token}`],
    });
    sockets.push(socket);
    await socket.next('welcome');
    const ref = randomUUID();
    socket.send({
      type: 'conversation.start',
      ref,
      consent: CONSENT,
      context: { pageUrl: 'https://www.example.test/pricing?utm_source=mail', language: 'en-GB', timeZone: 'UTC' },
    });
    return (await socket.next('conversation.started', (f) => f.ref === ref)).conversationId;
  }

  it('stores the address sealed for 24 hours only while the account shows IPs, and never shows an expired one', async () => {
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Ada Owner', password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    const session = await logInAs(app, { email: 'owner@acme.test', password: PASSWORD });
    // A token, not the session: the clock moves a day, past the session's life.
    const issued = await callAs(app, session, {
      method: 'POST',
      url: '/api/v1/api-tokens',
      payload: { name: 'Console test', scope: 'write' },
    });
    const owner = bearer(issued.json<{ secret: string }>().secret);
    const get = async (id: string) =>
      (await callAs(app, owner, { method: 'GET', url: `${BASE}/${id}` })).json<ConversationDetailDto>();
    const stored = (id: string) =>
      t.ctx.database.db
        .selectFrom('conversations')
        .select(['visitor_ip_sealed', 'visitor_ip_expires_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    const setShowIp = async (showVisitorIp: boolean) =>
      expect(
        (await callAs(app, owner, { method: 'PATCH', url: '/api/v1/account', payload: { showVisitorIp } })).statusCode,
      ).toBe(200);

    const before = await start(created.widget.publicKey);
    expect(await stored(before)).toEqual({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
    expect(await get(before)).toMatchObject({
      visitorIp: null,
      visitor: { pageUrl: 'https://www.example.test/pricing', language: 'en-GB', timeZone: 'UTC' },
    });

    await setShowIp(true);
    const shown = await start(created.widget.publicKey);
    const row = await stored(shown);
    expect(row.visitor_ip_expires_at).toBe(t.clock.now() + VISITOR_IP_TTL_MS);
    expect(Buffer.from(row.visitor_ip_sealed ?? []).toString('latin1')).not.toContain('127.0.0.1');
    expect((await get(shown)).visitorIp).toBe('127.0.0.1');
    expect((await get(before)).visitorIp).toBeNull();

    t.clock.advance(VISITOR_IP_TTL_MS - 1);
    expect((await get(shown)).visitorIp).toBe('127.0.0.1');
    t.clock.advance(1);
    // Expired: not shown, though no purge has removed it yet.
    expect((await stored(shown)).visitor_ip_sealed).not.toBeNull();
    expect((await get(shown)).visitorIp).toBeNull();

    await setShowIp(false);
    const after = await start(created.widget.publicKey);
    expect(await stored(after)).toEqual({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
  });

  it('deletes the stored addresses of every conversation of the account when IP display is turned off', async () => {
    const tenant = async (name: string) => {
      const email = `owner@${name.toLowerCase()}.test`;
      const created = await createAccount(t.ctx, {
        name,
        plan: 'standard',
        owner: { email, displayName: `${name} Owner`, password: PASSWORD },
        actor: { kind: 'cli', id: null },
      });
      return { publicKey: created.widget.publicKey, owner: await logInAs(app, { email, password: PASSWORD }) };
    };
    type Of = Awaited<ReturnType<typeof tenant>>;
    const call = (caller: Caller, method: Method, url: string, payload?: object) =>
      callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
    const acme = await tenant('Acme');
    const beta = await tenant('Beta');
    const stored = (id: string) =>
      t.ctx.database.db
        .selectFrom('conversations')
        .select(['visitor_ip_sealed', 'visitor_ip_expires_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    const setShowIp = async (of: Of, showVisitorIp: boolean) =>
      expect((await call(of.owner, 'PATCH', '/api/v1/account', { showVisitorIp })).statusCode).toBe(200);
    await setShowIp(acme, true);
    await setShowIp(beta, true);
    const first = await start(acme.publicKey);
    const second = await start(acme.publicKey);
    const other = await start(beta.publicKey);
    for (const id of [first, second, other]) expect((await stored(id)).visitor_ip_sealed).not.toBeNull();

    await setShowIp(acme, false);
    for (const id of [first, second]) {
      expect(await stored(id)).toEqual({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
    }
    // Turned on again, the deleted addresses stay deleted; another account keeps its own.
    await setShowIp(acme, true);
    expect((await call(acme.owner, 'GET', `${BASE}/${first}`)).json<ConversationDetailDto>().visitorIp).toBeNull();
    expect((await stored(other)).visitor_ip_sealed).not.toBeNull();
  });
});
