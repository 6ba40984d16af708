import { randomBytes, randomUUID } from 'node:crypto';
import {
  ExportDocument,
  type AttachmentSentDto,
  type ExportedConversation,
  type Role,
  type VisitorSessionDto,
} from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../crypto/visitor-token.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { terminateAccount } from '../domain/accounts/terminate-account.js';
import { identifyVisitor } from '../domain/contacts/identify-visitor.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { authenticateVisitor } from '../domain/visitors/start-visitor-session.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { insertContact } from '../storage/contacts-repository.js';
import { setConversationContact } from '../storage/conversations-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';
import { PNG, readZip } from '../test-support/zip.js';

const PASSWORD = 'correct horse battery';

/** An account with its owner logged in. */
interface Tenant {
  accountId: string;
  widgetId: string;
  publicKey: string;
  owner: Caller;
}

/** A visitor with a token, one conversation and the markers of its messages. */
interface Chat {
  claims: VisitorTokenClaims;
  caller: Caller;
  conversationId: string;
  markers: string[];
}

/** An export answer opened: its document and files. */
interface Opened {
  document: ExportDocument;
  text: string;
  files: Map<string, Buffer>;
}

const marker = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

describe(`subject access exports over HTTP (${testDialect})`, () => {
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
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  }

  async function colleague(of: Tenant, role: Role): Promise<Caller & { id: string }> {
    const email = `${role}-${randomUUID()}@colleague.test`;
    const response = await call(of.owner, 'POST', '/api/v1/operators', {
      email,
      displayName: role,
      password: PASSWORD,
      role,
    });
    expect(response.statusCode, response.body).toBe(201);
    return { ...(await logInAs(app, { email, password: PASSWORD })), id: response.json<{ id: string }>().id };
  }

  async function token(caller: Caller, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(caller, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode, response.body).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  /** A visitor session over HTTP, a conversation with two marked messages, and `image` uploaded in it. */
  async function chat(of: Tenant, options: { image?: boolean } = {}): Promise<Chat> {
    const session = await app.inject({
      method: 'POST',
      url: '/api/v1/visitor-sessions',
      payload: { publicKey: of.publicKey },
    });
    const { token: secret } = session.json<VisitorSessionDto>();
    const claims = await authenticateVisitor(t.ctx, secret);
    const { conversationId } = await startConversation(t.ctx, { visitor: claims, consent: { version: 'en-1' } });
    const markers = [marker('FIRST'), marker('SECOND')];
    const author = { kind: 'visitor' as const, accountId: of.accountId, visitorId: claims.visitorId };
    for (const body of markers)
      await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body });
    const caller = bearer(secret);
    if (options.image) {
      const query = new URLSearchParams({ clientMessageId: randomUUID(), fileName: 'photo.png' });
      const sent = await app.inject({
        method: 'POST',
        url: `/api/v1/visitor/conversations/${conversationId}/attachments?${query.toString()}`,
        headers: { ...caller.headers, 'content-type': 'application/octet-stream' },
        payload: PNG,
      });
      expect(sent.statusCode, sent.body).toBe(201);
      expect(sent.json<AttachmentSentDto>().attachment.contentType).toBe('image/png');
    }
    return { claims, caller, conversationId, markers };
  }

  /** A contact with two conversations (the first with an image), as Ada with her email. */
  async function contactWithTwoChats(of: Tenant) {
    const first = await chat(of, { image: true });
    const email = `${marker('ada')}@example.test`;
    const { contactId } = await identifyVisitor(t.ctx, {
      visitor: first.claims,
      conversationId: first.conversationId,
      name: 'Ada',
      email,
    });
    t.clock.advance(1000);
    const second = await chat(of);
    const link = { accountId: of.accountId, conversationId: second.conversationId, contactId, now: t.clock.now() };
    await setConversationContact(t.ctx.database.db, link);
    return { contactId, email, first, second };
  }

  /** Checks an answer is an export download and opens it. */
  async function opened(response: LightMyRequestResponse): Promise<Opened> {
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'application/zip',
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="plauder-export-[a-z0-9-]+\.zip"$/);
    const files = await readZip(response.rawPayload);
    const text = files.get('export.json')?.toString('utf8') ?? '';
    return { document: ExportDocument.parse(JSON.parse(text)), text, files };
  }

  const ids = (conversations: ExportedConversation[]) => conversations.map((c) => c.id);

  it('exports a contact by id: both conversations with their messages, and the image as uploaded', async () => {
    const acme = await tenant('Acme');
    const { contactId, first, second } = await contactWithTwoChats(acme);
    const response = await call(acme.owner, 'GET', `/api/v1/contacts/${contactId}/export`);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="plauder-export-${contactId}-2026-01-15.zip"`,
    );
    const { document, text, files } = await opened(response);
    expect(document).toMatchObject({ scope: 'contact', internalNotes: true, account: { name: 'Acme' } });
    expect(document.contacts).toEqual([expect.objectContaining({ id: contactId, name: 'Ada' })]);
    expect(ids(document.conversations)).toEqual([first.conversationId, second.conversationId]);
    for (const text_ of [...first.markers, ...second.markers]) expect(text).toContain(text_);
    const image = document.conversations[0]?.messages.find((m) => m.attachment)?.attachment;
    expect(image).toMatchObject({ name: 'photo.png', contentType: 'image/png', sizeBytes: PNG.length });
    expect(files.get(image?.path ?? '')?.equals(PNG)).toBe(true);
    expect([...files.keys()].sort()).toEqual([image?.path, 'export.json'].sort());

    const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({
      action: 'contact.exported',
      actorKind: 'operator',
      targetKind: 'contact',
      targetIds: [contactId, first.conversationId, second.conversationId],
      count: 5,
    });
  });

  it('streams the archive over a real connection without a length, chunked', async () => {
    const acme = await tenant('Acme');
    const { contactId, first } = await contactWithTwoChats(acme);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const cookie = `plauder_session=${acme.owner.cookies?.plauder_session ?? ''}`;
    const response = await fetch(`${address}/api/v1/contacts/${contactId}/export`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    const files = await readZip(Buffer.from(await response.arrayBuffer()));
    expect(files.get('export.json')?.toString('utf8')).toContain(first.markers[0]);
  });

  it('exports by the email in the body, to admins and admin tokens of either scope', async () => {
    const acme = await tenant('Acme');
    const { contactId, email, first } = await contactWithTwoChats(acme);
    const admin = await colleague(acme, 'admin');
    for (const caller of [admin, await token(admin, 'read'), await token(acme.owner, 'write')]) {
      const { document, text } = await opened(
        await call(caller, 'POST', '/api/v1/exports', { email: ` ${email.toUpperCase()} ` }),
      );
      expect(document.contacts.map((c) => c.id)).toEqual([contactId]);
      expect(document.conversations).toHaveLength(2);
      expect(text).toContain(first.markers[0]);
    }
    const entries = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 3 });
    expect(entries.map((e) => [e.action, e.actorKind])).toEqual([
      ['contact.exported', 'api_token'],
      ['contact.exported', 'api_token'],
      ['contact.exported', 'operator'],
    ]);
  });

  it('answers not_found for another account’s contact, an unknown id and an email of nobody', async () => {
    const acme = await tenant('Acme');
    const globex = await tenant('Globex');
    const theirs = await contactWithTwoChats(globex);
    for (const id of [theirs.contactId, randomUUID()]) {
      const response = await call(acme.owner, 'GET', `/api/v1/contacts/${id}/export`);
      expect([response.statusCode, errorOf(response).code]).toEqual([404, 'not_found']);
    }
    for (const email of [theirs.email, 'nobody@example.test']) {
      const response = await call(acme.owner, 'POST', '/api/v1/exports', { email });
      expect([response.statusCode, errorOf(response).code]).toEqual([404, 'not_found']);
      expect(errorOf(response).message).not.toContain(email);
    }
    for (const body of [{}, { email: 'not an email' }, { email: theirs.email, extra: 1 }]) {
      const response = await call(acme.owner, 'POST', '/api/v1/exports', body);
      expect([response.statusCode, errorOf(response).code]).toEqual([400, 'validation_failed']);
    }
    const malformed = await call(acme.owner, 'GET', '/api/v1/contacts/123/export');
    expect([malformed.statusCode, errorOf(malformed).code]).toEqual([400, 'validation_failed']);
    const audit = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 10 });
    expect(audit.filter((e) => e.action === 'contact.exported')).toEqual([]);
  });

  it('refuses operators below admin with forbidden and strangers with 401', async () => {
    const acme = await tenant('Acme');
    const { contactId } = await contactWithTwoChats(acme);
    const agent = await colleague(acme, 'operator');
    // A token acts with its creator's role of now: an admin's token is demoted with them.
    const demoted = await colleague(acme, 'admin');
    const demotedToken = await token(demoted, 'write');
    const change = await call(acme.owner, 'PUT', `/api/v1/operators/${demoted.id}/role`, { role: 'operator' });
    expect(change.statusCode, change.body).toBe(200);
    const visitor = await chat(acme);
    for (const caller of [agent, demotedToken]) {
      for (const [method, url, body] of [
        ['GET', `/api/v1/contacts/${contactId}/export`],
        ['POST', '/api/v1/exports', { email: 'ada@example.test' }],
      ] as const) {
        const response = await call(caller, method, url, body);
        expect([response.statusCode, errorOf(response).code]).toEqual([403, 'forbidden']);
      }
    }
    const nobody: Caller = { headers: {} };
    const answers = await Promise.all([
      call(nobody, 'GET', `/api/v1/contacts/${contactId}/export`),
      call(nobody, 'POST', '/api/v1/exports', { email: 'ada@example.test' }),
      call(nobody, 'GET', '/api/v1/visitor/export'),
      call(bearer('vt1.forged.token'), 'GET', '/api/v1/visitor/export'),
      // A visitor token is no operator credential, and an operator's cookie no visitor token.
      call(visitor.caller, 'GET', `/api/v1/contacts/${contactId}/export`),
      call({ headers: {}, cookies: acme.owner.cookies ?? {} }, 'GET', '/api/v1/visitor/export'),
    ]);
    expect(answers.map((a) => [a.statusCode, errorOf(a).code])).toEqual(Array(6).fill([401, 'unauthenticated']));
  });

  it('gives a visitor their own conversation and its contact, never another visitor’s, nor internal notes', async () => {
    const acme = await tenant('Acme');
    const { contactId, first, second } = await contactWithTwoChats(acme);
    const stranger = await chat(acme, { image: true });
    const note = marker('NOTE');
    const operators = await t.ctx.database.db.selectFrom('operators').select('id').execute();
    await t.ctx.database.db
      .updateTable('conversations')
      .set({ operator_id: operators[0]!.id, status: 'open' })
      .where('id', '=', first.conversationId)
      .execute();
    await sendMessage(t.ctx, {
      author: { kind: 'operator', accountId: acme.accountId, operatorId: operators[0]!.id },
      conversationId: first.conversationId,
      clientMessageId: randomUUID(),
      body: note,
      kind: 'note',
    });

    const { document, text, files } = await opened(await call(first.caller, 'GET', '/api/v1/visitor/export'));
    expect(document).toMatchObject({ scope: 'visitor', internalNotes: false });
    expect(ids(document.conversations)).toEqual([first.conversationId]);
    expect(document.contacts.map((c) => c.id)).toEqual([contactId]);
    expect(text).toContain(first.markers[1]);
    for (const foreign of [...second.markers, ...stranger.markers, note]) expect(text).not.toContain(foreign);
    expect([...files.keys()].filter((name) => name.startsWith('attachments/'))).toEqual([
      expect.stringMatching(new RegExp(`^attachments/${first.conversationId}/`)),
    ]);

    const empty = await opened(await call((await chat(acme)).caller, 'GET', '/api/v1/visitor/export'));
    expect(empty.document.contacts).toEqual([]);
    expect(empty.document.conversations).toHaveLength(1);
    const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({ action: 'contact.exported', actorKind: 'visitor', targetKind: 'visitor', count: 2 });
  });

  it('leaves out a conversation whose key was destroyed', async () => {
    const acme = await tenant('Acme');
    const { contactId, first, second } = await contactWithTwoChats(acme);
    await t.ctx.keyring.destroySubjectKey(t.ctx.database.db, {
      accountId: acme.accountId,
      kind: 'conversation',
      subjectId: first.conversationId,
      now: t.clock.now(),
    });
    const { document, text, files } = await opened(
      await call(acme.owner, 'GET', `/api/v1/contacts/${contactId}/export`),
    );
    expect(ids(document.conversations)).toEqual([second.conversationId]);
    for (const gone of first.markers) expect(text).not.toContain(gone);
    expect([...files.keys()]).toEqual(['export.json']);
    const mine = await opened(await call(first.caller, 'GET', '/api/v1/visitor/export'));
    expect(mine.document.conversations).toEqual([]);
  });

  it('keeps exporting while the account is terminated, in its grace period', async () => {
    const acme = await tenant('Acme');
    const { contactId, email, first } = await contactWithTwoChats(acme);
    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId: acme.accountId } });
    const byId = await opened(await call(acme.owner, 'GET', `/api/v1/contacts/${contactId}/export`));
    expect(byId.document.conversations).toHaveLength(2);
    const byEmail = await opened(await call(acme.owner, 'POST', '/api/v1/exports', { email }));
    expect(byEmail.document.contacts.map((c) => c.id)).toEqual([contactId]);
    const own = await opened(await call(first.caller, 'GET', '/api/v1/visitor/export'));
    expect(ids(own.document.conversations)).toEqual([first.conversationId]);
  });

  it('limits a visitor’s exports, and another visitor’s go on', async () => {
    const acme = await tenant('Acme');
    const mine = await chat(acme);
    for (let i = 0; i < 3; i++) expect((await call(mine.caller, 'GET', '/api/v1/visitor/export')).statusCode).toBe(200);
    const refused = await call(mine.caller, 'GET', '/api/v1/visitor/export');
    expect([refused.statusCode, errorOf(refused).code]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await call((await chat(acme)).caller, 'GET', '/api/v1/visitor/export')).statusCode).toBe(200);
  });

  it('exports a contact without conversations, and publishes its three routes in the OpenAPI document', async () => {
    const acme = await tenant('Acme');
    const contactId = await insertContact(t.ctx.store, { accountId: acme.accountId, name: 'Bea', now: t.clock.now() });
    const { document } = await opened(await call(acme.owner, 'GET', `/api/v1/contacts/${contactId}/export`));
    expect(document).toMatchObject({ contacts: [{ id: contactId, name: 'Bea', notes: null }], conversations: [] });
    // A HEAD would plan and audit an export for nobody: there is none.
    const head = await app.inject({
      method: 'HEAD',
      url: `/api/v1/contacts/${contactId}/export`,
      headers: acme.owner.headers,
      cookies: acme.owner.cookies ?? {},
    });
    expect(head.statusCode).toBe(404);

    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    type Operation = { tags?: string[] };
    const { paths } = response.json<{ paths: Record<string, Record<string, Operation>> }>();
    const routes = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.tags?.includes('exports'))
        .map(([method]) => `${method} ${path}`),
    );
    expect(routes.sort()).toEqual([
      'get /api/v1/contacts/{id}/export',
      'get /api/v1/visitor/export',
      'post /api/v1/exports',
    ]);
  });
});
