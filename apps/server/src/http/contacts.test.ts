import { randomUUID } from 'node:crypto';
import type { ContactDetailDto, ContactPageDto, Role } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { sendAttachment } from '../domain/attachments/send-attachment.js';
import { identifyVisitor } from '../domain/contacts/identify-visitor.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { accountChannel, AccountEvent } from '../domain/conversations/events.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { insertContact } from '../storage/contacts-repository.js';
import { setConversationContact } from '../storage/conversations-repository.js';
import { sumRollups } from '../storage/rollup-sums.js';
import { localSlot } from '../storage/local-time.js';
import { seedAnotherVisitor } from '../test-support/fixtures.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const BASE = '/api/v1/contacts';
// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

interface Account {
  accountId: string;
  widgetId: string;
  owner: Caller;
}

describe(`contacts over HTTP (${testDialect})`, () => {
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

  async function account(name: string): Promise<Account> {
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
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  }

  async function colleague(of: Account, email: string, role: Role): Promise<Caller> {
    const response = await call(of.owner, 'POST', '/api/v1/operators', {
      email,
      displayName: email.split('@')[0],
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return logInAs(app, { email, password: PASSWORD });
  }

  async function token(of: Account, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(of.owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  /** A contact made straight in storage, created `at` (the clock moves there). */
  async function contact(of: Account, fields: { name?: string; email?: string }): Promise<string> {
    t.clock.advance(1000);
    return insertContact(t.ctx.store, { accountId: of.accountId, ...fields, now: t.clock.now() });
  }

  /** A visitor's conversation with a message and a file, identified as (or linked to) a contact. */
  async function conversation(
    of: Account,
    input: { name?: string; contactId?: string } = {},
  ): Promise<{ conversationId: string; contactId: string; file: string }> {
    const visitor = await seedAnotherVisitor(t.ctx, { accountId: of.accountId, widgetId: of.widgetId });
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const author = { kind: 'visitor' as const, accountId: of.accountId, visitorId: visitor.visitorId };
    await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'My order 4711' });
    const sent = await sendAttachment(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'receipt.png',
      data: PNG,
    });
    let contactId = input.contactId;
    if (contactId) {
      const where = { accountId: of.accountId, conversationId, contactId, now: t.clock.now() };
      await setConversationContact(t.ctx.database.db, where);
    } else {
      contactId = (await identifyVisitor(t.ctx, { visitor, conversationId, name: input.name ?? 'Ada' })).contactId;
    }
    const row = await t.ctx.database.db
      .selectFrom('attachments')
      .select('storage_key')
      .where('id', '=', sent.attachment.id)
      .executeTakeFirstOrThrow();
    return { conversationId, contactId, file: row.storage_key };
  }

  async function page(caller: Caller, query = ''): Promise<ContactPageDto> {
    const response = await call(caller, 'GET', `${BASE}${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<ContactPageDto>();
  }

  async function find(caller: Caller, body: object): Promise<ContactPageDto['contacts']> {
    const response = await call(caller, 'POST', `${BASE}/find`, body);
    expect(response.statusCode, response.body).toBe(200);
    const found = response.json<ContactPageDto>();
    expect(found.nextCursor).toBeNull();
    return found.contacts;
  }

  it('lists the account’s contacts newest first, a page at a time, with their conversation counts', async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    await contact(beta, { name: 'Stranger' });
    const ada = await contact(acme, { name: 'Ada', email: 'ada@example.test' });
    const bob = await contact(acme, { name: 'Bob' });
    const cleo = await contact(acme, { name: 'Cleo' });
    await conversation(acme, { contactId: bob });
    await conversation(acme, { contactId: bob });

    const first = await page(acme.owner, '?limit=2');
    expect(first.contacts.map((c) => c.id)).toEqual([cleo, bob]);
    expect(first.contacts[1]).toEqual({
      id: bob,
      name: 'Bob',
      email: null,
      conversationCount: 2,
      createdAt: expect.any(Number) as number,
      updatedAt: expect.any(Number) as number,
    });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await page(acme.owner, `?limit=2&cursor=${first.nextCursor ?? ''}`);
    expect(second).toEqual({
      contacts: [expect.objectContaining({ id: ada, name: 'Ada', email: 'ada@example.test', conversationCount: 0 })],
      nextCursor: null,
    });
    expect((await page(acme.owner)).contacts).toHaveLength(3);
  });

  it('finds a contact by email through the blind index, whatever its case, and in its own account only', async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    const ada = await contact(acme, { name: 'Ada', email: 'ada@example.test' });
    await contact(acme, { name: 'Bob', email: 'bob@example.test' });
    await contact(beta, { name: 'Other Ada', email: 'ada@example.test' });

    const agent = await colleague(acme, 'agent@acme.test', 'operator');
    for (const caller of [acme.owner, agent, await token(acme, 'read')]) {
      expect((await find(caller, { email: ' ADA@example.test ' })).map((c) => c.id)).toEqual([ada]);
      expect(await find(caller, { email: 'nobody@example.test' })).toEqual([]);
    }
  });

  it('refuses a bad limit, cursor or email with validation_failed, and an email in the URL', async () => {
    const acme = await account('Acme');
    const cursor = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=ten',
      '?cursor=not-a-cursor',
      `?cursor=${cursor([-1, randomUUID()])}`,
      `?cursor=${cursor([2 ** 53, randomUUID()])}`,
      `?cursor=${cursor([1.5, randomUUID()])}`,
      '?email=ada@example.test',
    ]) {
      const response = await call(acme.owner, 'GET', `${BASE}${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(errorOf(response).code, query).toBe('validation_failed');
    }
    for (const body of [{ email: 'nope' }, {}, { email: 'ada@example.test', limit: 1 }]) {
      const response = await call(acme.owner, 'POST', `${BASE}/find`, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
  });

  it('shows a contact in full with their conversations, newest first, to every role and read tokens', async () => {
    const acme = await account('Acme');
    const first = await conversation(acme, { name: 'Ada' });
    t.clock.advance(1000);
    const second = await conversation(acme, { contactId: first.contactId });
    await closeConversation(t.ctx, {
      by: { kind: 'system', accountId: acme.accountId },
      conversationId: first.conversationId,
    });
    const agent = await colleague(acme, 'agent@acme.test', 'operator');

    for (const caller of [acme.owner, agent, await token(acme, 'read')]) {
      const response = await call(caller, 'GET', `${BASE}/${first.contactId}`);
      expect(response.statusCode).toBe(200);
      const detail = response.json<ContactDetailDto>();
      expect(detail).toMatchObject({ id: first.contactId, name: 'Ada', email: null, phone: null, notes: null });
      expect(detail.conversationCount).toBe(2);
      expect(detail.conversations).toEqual([
        { id: second.conversationId, status: 'waiting', createdAt: expect.any(Number) as number, closedAt: null },
        {
          id: first.conversationId,
          status: 'closed',
          createdAt: expect.any(Number) as number,
          closedAt: t.clock.now(),
        },
      ]);
    }
  });

  it('answers not_found for an unknown id and another account’s contact alike, and 400 for a malformed id', async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    const theirs = await contact(beta, { name: 'Theirs' });
    for (const id of [theirs, randomUUID()]) {
      for (const [method, payload] of [['GET'], ['PATCH', { name: 'X' }], ['DELETE']] as const) {
        const response = await call(acme.owner, method, `${BASE}/${id}`, payload);
        expect(response.statusCode, `${method} ${id}`).toBe(404);
        expect(errorOf(response).code).toBe('not_found');
      }
    }
    const malformed = await call(acme.owner, 'GET', `${BASE}/123`);
    expect(malformed.statusCode).toBe(400);
    expect(errorOf(malformed).code).toBe('validation_failed');
    expect((await page(beta.owner)).contacts[0]?.name).toBe('Theirs');
  });

  it('lets any operator change a contact, keeps the email index in step, and clears a field with null', async () => {
    const acme = await account('Acme');
    const id = await contact(acme, { name: 'Ada', email: 'ada@example.test' });
    const agent = await colleague(acme, 'agent@acme.test', 'operator');
    const before = t.clock.now();
    t.clock.advance(1000);

    const response = await call(agent, 'PATCH', `${BASE}/${id}`, {
      email: ' Ada@New.Example ',
      phone: '+49 30 1234',
      notes: 'Prefers email',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<ContactDetailDto>()).toMatchObject({
      id,
      name: 'Ada',
      email: 'ada@new.example',
      phone: '+49 30 1234',
      notes: 'Prefers email',
      conversations: [],
    });
    expect(response.json<ContactDetailDto>().updatedAt).toBeGreaterThan(before);
    const where = { accountId: acme.accountId };
    expect((await find(agent, { email: 'ada@new.example' })).map((c) => c.id)).toEqual([id]);
    expect(await find(agent, { email: 'ada@example.test' })).toEqual([]);

    const cleared = await call(await token(acme, 'write'), 'PATCH', `${BASE}/${id}`, { email: null, notes: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json<ContactDetailDto>()).toMatchObject({ email: null, notes: null, phone: '+49 30 1234' });
    const row = await t.ctx.database.db
      .selectFrom('contacts')
      .select(['email_index', 'email_sealed'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ email_index: null, email_sealed: null });
    const [entry] = await listAuditEntries(t.ctx.database.db, { ...where, limit: 1 });
    expect(entry).toMatchObject({ action: 'contact.updated', targetIds: [id], actorKind: 'api_token' });
  });

  it('refuses bad changes, empty ones and read-only tokens, changing nothing', async () => {
    const acme = await account('Acme');
    const id = await contact(acme, { name: 'Ada' });
    const bad = [{ name: 42 }, { email: 'not an email' }, { name: '' }, { phone: 'x'.repeat(51) }, {}];
    for (const body of bad) {
      const response = await call(acme.owner, 'PATCH', `${BASE}/${id}`, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
    const readOnly = await call(await token(acme, 'read'), 'PATCH', `${BASE}/${id}`, { name: 'Eve' });
    expect(readOnly.statusCode).toBe(403);
    expect(errorOf(readOnly).code).toBe('forbidden');
    const response = await call(acme.owner, 'GET', `${BASE}/${id}`);
    expect(response.json<ContactDetailDto>().name).toBe('Ada');
  });

  it('erases a contact with every conversation, message, file and key, records it, and leaves the rollups', async () => {
    const acme = await account('Acme');
    const first = await conversation(acme, { name: 'Ada' });
    t.clock.advance(1000);
    const second = await conversation(acme, { contactId: first.contactId });
    const other = await conversation(acme, { name: 'Bob' });
    const system = { kind: 'system' as const, accountId: acme.accountId };
    for (const { conversationId } of [first, second]) await closeConversation(t.ctx, { by: system, conversationId });
    const day = localSlot('UTC', t.clock.now()).day;
    const rollups = () => sumRollups(t.ctx.database.db, { accountId: acme.accountId, fromDay: day, toDay: day });
    const before = await rollups();
    const admin = await colleague(acme, 'admin@acme.test', 'admin');
    t.clock.advance(1000);

    const response = await call(admin, 'DELETE', `${BASE}/${first.contactId}`);
    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');

    const db = t.ctx.database.db;
    const ids = [first.conversationId, second.conversationId];
    expect(await db.selectFrom('contacts').select('id').execute()).toEqual([{ id: other.contactId }]);
    expect(await db.selectFrom('conversations').select('id').execute()).toEqual([{ id: other.conversationId }]);
    for (const table of ['messages', 'attachments'] as const) {
      expect(await db.selectFrom(table).select('id').where('conversation_id', 'in', ids).execute()).toEqual([]);
      expect(await db.selectFrom(table).select('id').execute()).not.toEqual([]);
    }
    for (const { file } of [first, second]) expect(await t.ctx.fileStore.get(file)).toBeUndefined();
    expect(await t.ctx.fileStore.get(other.file)).toBeDefined();
    const keys = await db
      .selectFrom('keyring')
      .select(['subject_id', 'wrapped_key', 'destroyed_at'])
      .where('subject_id', 'in', [...ids, first.contactId])
      .execute();
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toMatchObject({ wrapped_key: null, destroyed_at: t.clock.now() });
    expect(await rollups()).toEqual(before);

    const records = await db
      .selectFrom('erasure_records')
      .select(['subject_kind', 'subject_id', 'reason'])
      .orderBy('subject_kind')
      .orderBy('subject_id')
      .execute();
    expect(records).toEqual([
      { subject_kind: 'contact', subject_id: first.contactId, reason: 'operator request' },
      ...[...ids].sort().map((id) => ({ subject_kind: 'conversation', subject_id: id, reason: 'operator request' })),
    ]);
    const entries = await listAuditEntries(db, { accountId: acme.accountId, limit: 10 });
    expect(entries.filter((e) => e.action.endsWith('.erased'))).toEqual([
      expect.objectContaining({
        action: 'contact.erased',
        actorKind: 'operator',
        targetKind: 'contact',
        // The contact, then its conversations newest first.
        targetIds: [first.contactId, second.conversationId, first.conversationId],
        count: 4,
      }),
    ]);
    const again = await call(admin, 'DELETE', `${BASE}/${first.contactId}`);
    expect(again.statusCode).toBe(404);
  });

  it('closes an open conversation before erasing it, as any close, so operators see it leave the inbox', async () => {
    const acme = await account('Acme');
    const { conversationId, contactId } = await conversation(acme, { name: 'Ada' });
    const events: AccountEvent[] = [];
    const unsubscribe = await t.ctx.bus.subscribe(accountChannel(acme.accountId), (message) => {
      events.push(AccountEvent.parse(message));
    });
    try {
      const response = await call(acme.owner, 'DELETE', `${BASE}/${contactId}`);
      expect(response.statusCode).toBe(204);
      await vi.waitFor(() =>
        expect(events).toContainEqual(
          expect.objectContaining({ type: 'conversation.closed', conversationId, closedBy: 'operator' }),
        ),
      );
    } finally {
      await unsubscribe();
    }
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId: acme.accountId, fromDay: day, toDay: day });
    expect(sums).toContainEqual({ metric: 'conversations.closed', value: 1 });
    expect(await t.ctx.database.db.selectFrom('conversations').select('id').execute()).toEqual([]);
  });

  it('lets only admins and owners erase, and API tokens only with the write scope', async () => {
    const acme = await account('Acme');
    const id = await contact(acme, { name: 'Ada' });
    const agent = await colleague(acme, 'agent@acme.test', 'operator');
    for (const caller of [agent, await token(acme, 'read')]) {
      const response = await call(caller, 'DELETE', `${BASE}/${id}`);
      expect(response.statusCode).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
    }
    expect((await page(acme.owner)).contacts).toHaveLength(1);
    const response = await call(await token(acme, 'write'), 'DELETE', `${BASE}/${id}`);
    expect(response.statusCode).toBe(204);
    expect((await page(acme.owner)).contacts).toEqual([]);
    const records = await t.ctx.database.db.selectFrom('erasure_records').select(['subject_id', 'reason']).execute();
    expect(records).toEqual([{ subject_id: id, reason: 'API request' }]);
  });
});
