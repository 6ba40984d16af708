import { randomUUID } from 'node:crypto';
import { SearchResultDto, type Role } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { sendAttachment } from '../domain/attachments/send-attachment.js';
import { eraseConversation } from '../domain/conversations/erase-conversation.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { authenticateVisitor, startVisitorSession } from '../domain/visitors/start-visitor-session.js';
import { insertContact } from '../storage/contacts-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

interface Account {
  accountId: string;
  ownerId: string;
  owner: Caller;
  publicKey: string;
}

describe(`search over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let acme: Account;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    acme = await account('Acme');
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

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
      ownerId: created.owner.id,
      owner: await logInAs(app, { email, password: PASSWORD }),
      publicKey: created.widget.publicKey,
    };
  }

  /** A conversation of a new visitor of `of`, with these messages from the visitor; a minute apart from the last. */
  async function conversation(of: Account, bodies: string[]) {
    t.clock.advance(60_000);
    const session = await startVisitorSession(t.ctx, { publicKey: of.publicKey });
    const visitor = await authenticateVisitor(t.ctx, session.token);
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const author = { kind: 'visitor' as const, accountId: of.accountId, visitorId: visitor.visitorId };
    for (const body of bodies) {
      await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body });
    }
    return { conversationId, author };
  }

  function search(caller: Caller, body: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method: 'POST', url: '/api/v1/search', payload: body });
  }

  /** The ids and match counts of a search that succeeded, in the order answered. */
  async function hitsOf(caller: Caller, q: string, limit?: number): Promise<[string, number][]> {
    const response = await search(caller, limit === undefined ? { q } : { q, limit });
    expect(response.statusCode, response.body).toBe(200);
    const result = SearchResultDto.parse(response.json());
    return result.hits.map((hit) => [hit.conversation.id, hit.matchingMessages]);
  }

  it('finds the conversations in which one message holds every word, with how many messages do', async () => {
    const split = await conversation(acme, ['Meine Rechnung ist falsch', 'Und die Lieferung kam nie']);
    const both = await conversation(acme, ['Rechnung und Lieferung fehlen', 'rechnung, LIEFERUNG: beide!', 'Danke']);
    const neither = await conversation(acme, ['Hallo']);
    // Within one message: the first conversation has both words, but never in the same message.
    expect(await hitsOf(acme.owner, 'lieferung rechnung')).toEqual([[both.conversationId, 2]]);
    expect(await hitsOf(acme.owner, 'RECHNUNG')).toEqual([
      [both.conversationId, 2],
      [split.conversationId, 1],
    ]);
    expect(await hitsOf(acme.owner, 'rechnungen')).toEqual([]);
    expect(await hitsOf(acme.owner, 'hallo')).toEqual([[neither.conversationId, 1]]);
  });

  it('answers conversation summaries, the most recently active first, at most `limit`', async () => {
    const older = await conversation(acme, ['Termin am Montag']);
    const newer = await conversation(acme, ['Termin am Dienstag']);
    const contactId = await insertContact(t.ctx.store, { accountId: acme.accountId, name: 'Erika Muster', now: 1 });
    await t.ctx.database.db
      .updateTable('conversations')
      .set({ contact_id: contactId })
      .where('id', '=', older.conversationId)
      .execute();
    expect((await hitsOf(acme.owner, 'termin')).map(([id]) => id)).toEqual([
      newer.conversationId,
      older.conversationId,
    ]);
    // A new message makes the older conversation the most recently active one.
    t.clock.advance(60_000);
    await sendMessage(t.ctx, {
      author: older.author,
      conversationId: older.conversationId,
      clientMessageId: randomUUID(),
      body: 'Noch da?',
    });
    const response = await search(acme.owner, { q: 'Termin', limit: 1 });
    const result = SearchResultDto.parse(response.json());
    expect(result.hits).toHaveLength(1);
    expect(result.hits[0]).toEqual({
      conversation: {
        id: older.conversationId,
        widgetId: expect.any(String) as unknown,
        status: 'waiting',
        origin: 'chat',
        operatorId: null,
        contactName: 'Erika Muster',
        lastSeq: 2,
        createdAt: expect.any(Number) as unknown,
        updatedAt: t.clock.now(),
        closedAt: null,
        version: 1,
      },
      matchingMessages: 1,
    });
  });

  it('finds notes and file names, whatever the case and the diacritics', async () => {
    const { conversationId, author } = await conversation(acme, ['Guten Tag']);
    await sendMessage(t.ctx, {
      author: { kind: 'operator', accountId: acme.accountId, operatorId: acme.ownerId },
      conversationId,
      clientMessageId: randomUUID(),
      kind: 'note',
      body: 'Herr Müller zahlt per Überweisung',
    });
    await sendAttachment(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'Kündigung_2026.png',
      data: PNG,
    });
    expect(await hitsOf(acme.owner, 'MULLER überweisung')).toEqual([[conversationId, 1]]);
    expect(await hitsOf(acme.owner, 'kundigung')).toEqual([[conversationId, 1]]);
    expect(await hitsOf(acme.owner, 'Kündigung 2026 png')).toEqual([[conversationId, 1]]);
  });

  it("never finds another account's messages, even with the very same words", async () => {
    const globex = await account('Globex');
    const ours = await conversation(acme, ['Passwort vergessen']);
    const theirs = await conversation(globex, ['Passwort vergessen']);
    expect(await hitsOf(acme.owner, 'passwort vergessen')).toEqual([[ours.conversationId, 1]]);
    expect(await hitsOf(globex.owner, 'passwort vergessen')).toEqual([[theirs.conversationId, 1]]);
    // The same word is stored under other bytes in each account.
    const tokensOf = async (accountId: string) =>
      (
        await t.ctx.database.db
          .selectFrom('conversation_tokens as w')
          .innerJoin('conversations as c', 'c.id', 'w.conversation_id')
          .select('w.token')
          .where('c.account_id', '=', accountId)
          .execute()
      ).map((row) => Buffer.from(row.token).toString('hex'));
    const acmeTokens = await tokensOf(acme.accountId);
    const globexTokens = await tokensOf(globex.accountId);
    expect(acmeTokens).toHaveLength(2);
    expect(globexTokens).toHaveLength(2);
    expect(acmeTokens.filter((hex) => globexTokens.includes(hex))).toEqual([]);
    // Even rows that carried Acme's very bytes in Globex's conversation are not Acme's to find.
    await t.ctx.database.db
      .insertInto('conversation_tokens')
      .values(acmeTokens.map((hex) => ({ conversation_id: theirs.conversationId, token: Buffer.from(hex, 'hex') })))
      .execute();
    await t.ctx.database.db
      .updateTable('messages')
      .set({ search_tokens: Buffer.concat(acmeTokens.map((hex) => Buffer.from(hex, 'hex'))) })
      .where('conversation_id', '=', theirs.conversationId)
      .execute();
    // Globex's conversation is the newer one: with one hit allowed, it must not take Acme's place.
    expect(await hitsOf(acme.owner, 'passwort vergessen', 1)).toEqual([[ours.conversationId, 1]]);
  });

  it('forgets an erased conversation', async () => {
    const { conversationId, author } = await conversation(acme, ['Bitte alles löschen']);
    expect(await hitsOf(acme.owner, 'loschen')).toEqual([[conversationId, 1]]);
    await eraseConversation(t.ctx, { conversationId, by: author });
    expect(await hitsOf(acme.owner, 'loschen')).toEqual([]);
  });

  it('lets every role search, with a session or an API token, read-only tokens too', async () => {
    const { conversationId } = await conversation(acme, ['Wo bleibt mein Paket']);
    const roles: Role[] = ['operator', 'admin'];
    for (const role of roles) {
      const email = `${role}@acme.test`;
      const created = await callAs(app, acme.owner, {
        method: 'POST',
        url: '/api/v1/operators',
        payload: { email, displayName: role, password: PASSWORD, role },
      });
      expect(created.statusCode).toBe(201);
      expect(await hitsOf(await logInAs(app, { email, password: PASSWORD }), 'paket')).toEqual([[conversationId, 1]]);
    }
    for (const scope of ['read', 'write'] as const) {
      const created = await callAs(app, acme.owner, {
        method: 'POST',
        url: '/api/v1/api-tokens',
        payload: { name: `search ${scope}`, scope },
      });
      expect(created.statusCode).toBe(201);
      const token = bearer(created.json<{ secret: string }>().secret);
      expect(await hitsOf(token, 'paket')).toEqual([[conversationId, 1]]);
    }
  });

  it('refuses a query without a usable word, with too many words, or with a bad limit', async () => {
    const refusals: [object, RegExp][] = [
      [{ q: '?!' }, /no word to look for/],
      [{ q: 'a b c 1' }, /no word to look for/],
      [{ q: Array.from({ length: 11 }, (_, i) => `w${i}`).join(' ') }, /at most 10 words/],
      [{}, /body.*q/],
      [{ q: '' }, /body.*q/],
      [{ q: 'x'.repeat(1001) }, /body.*q/],
      [{ q: ['ok'] }, /body.*q/],
      [{ q: 'ok', limit: 0 }, /body.*limit/],
      [{ q: 'ok', limit: 101 }, /body.*limit/],
      [{ q: 'ok', limit: 'ten' }, /body.*limit/],
      [{ q: 'ok', limit: 1.5 }, /body.*limit/],
    ];
    for (const [body, message] of refusals) {
      const response = await search(acme.owner, body);
      const label = JSON.stringify(body);
      expect(response.statusCode, label).toBe(400);
      expect(errorOf(response).code, label).toBe('validation_failed');
      expect(errorOf(response).message, label).toMatch(message);
    }
    // Ten distinct words are fine, and repeated words count once.
    const ten = Array.from({ length: 10 }, (_, i) => `w${i}`).join(' ');
    expect(await hitsOf(acme.owner, `${ten} w0 W1`)).toEqual([]);
  });

  it('answers 401 to a stranger, and 404 to words in the URL: proxies and access logs keep query strings', async () => {
    const stranger = await search({ headers: {} }, { q: 'paket' });
    expect(stranger.statusCode).toBe(401);
    expect(errorOf(stranger).code).toBe('unauthenticated');
    const inUrl = await callAs(app, acme.owner, { method: 'GET', url: '/api/v1/search?q=paket' });
    expect(inUrl.statusCode).toBe(404);
    expect(errorOf(inUrl).code).toBe('route_not_found');
  });

  it('lets a read-only token search by POST, yet no other POST of a read-only token goes through', async () => {
    const created = await callAs(app, acme.owner, {
      method: 'POST',
      url: '/api/v1/api-tokens',
      payload: { name: 'Reader', scope: 'read' },
    });
    const reader = bearer(created.json<{ secret: string }>().secret);
    expect((await search(reader, { q: 'paket' })).statusCode).toBe(200);
    const write = await callAs(app, reader, {
      method: 'POST',
      url: '/api/v1/operators',
      payload: { email: 'x@acme.test', displayName: 'X', password: PASSWORD, role: 'operator' },
    });
    expect(write.statusCode).toBe(403);
    expect(errorOf(write).code).toBe('forbidden');
  });
});
