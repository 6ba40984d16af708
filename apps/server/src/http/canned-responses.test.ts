import { randomUUID } from 'node:crypto';
import type { CannedResponseDto, Role } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const BASE = '/api/v1/canned-responses';
const HELLO = { shortcut: '/hello', title: 'Greeting', body: 'Hello! How can we help you today?' };

describe(`canned responses over HTTP (${testDialect})`, () => {
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

  function logIn(email: string): Promise<Caller> {
    return logInAs(app, { email, password: PASSWORD });
  }

  /** An account with its owner logged in. */
  async function account(name: string): Promise<{ ownerId: string; owner: Caller }> {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return { ownerId: created.owner.id, owner: await logIn(email) };
  }

  /** A logged-in operator of the owner's account with `role`. */
  async function colleague(owner: Caller, email: string, role: Role): Promise<Caller> {
    const response = await call(owner, 'POST', '/api/v1/operators', {
      email,
      displayName: email.split('@')[0],
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return logIn(email);
  }

  async function create(caller: Caller, input: object = HELLO): Promise<CannedResponseDto> {
    const response = await call(caller, 'POST', BASE, input);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<CannedResponseDto>();
  }

  async function list(caller: Caller): Promise<CannedResponseDto[]> {
    const response = await call(caller, 'GET', BASE);
    expect(response.statusCode).toBe(200);
    return response.json<{ cannedResponses: CannedResponseDto[] }>().cannedResponses;
  }

  it('creates, lists in shortcut order, changes and deletes a canned response', async () => {
    const acme = await account('Acme');
    const hello = await create(acme.owner);
    expect(hello.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(hello).toEqual({
      id: hello.id,
      shortcut: 'hello',
      title: 'Greeting',
      body: HELLO.body,
      createdBy: acme.ownerId,
      createdAt: t.clock.now(),
      updatedAt: t.clock.now(),
    });
    const bye = await create(acme.owner, { shortcut: 'bye', title: '  Farewell ', body: 'Goodbye!\n' });
    expect(bye).toMatchObject({ shortcut: 'bye', title: 'Farewell', body: 'Goodbye!' });
    expect((await list(acme.owner)).map((c) => c.shortcut)).toEqual(['bye', 'hello']);

    t.clock.advance(60_000);
    const patch = await call(acme.owner, 'PATCH', `${BASE}/${hello.id}`, { shortcut: '/welcome', title: 'Welcome' });
    expect(patch.statusCode).toBe(200);
    const changed = { ...hello, shortcut: 'welcome', title: 'Welcome', updatedAt: t.clock.now() };
    expect(patch.json()).toEqual(changed);
    expect(await list(acme.owner)).toEqual([bye, changed]);

    const remove = await call(acme.owner, 'DELETE', `${BASE}/${hello.id}`);
    expect(remove.statusCode).toBe(204);
    expect(remove.body).toBe('');
    expect(await list(acme.owner)).toEqual([bye]);
    const again = await call(acme.owner, 'DELETE', `${BASE}/${hello.id}`);
    expect(again.statusCode).toBe(404);
    expect(errorOf(again).code).toBe('not_found');
  });

  it('lets an operator list canned responses but not write them, and an admin write them', async () => {
    const acme = await account('Acme');
    const hello = await create(acme.owner);
    const operator = await colleague(acme.owner, 'op@acme.test', 'operator');
    expect(await list(operator)).toEqual([hello]);

    const writes = [
      await call(operator, 'POST', BASE, { ...HELLO, shortcut: 'mine' }),
      await call(operator, 'PATCH', `${BASE}/${hello.id}`, { body: 'Changed' }),
      await call(operator, 'DELETE', `${BASE}/${hello.id}`),
    ];
    for (const response of writes) {
      expect(response.statusCode).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
    }
    expect(await list(acme.owner)).toEqual([hello]);

    const admin = await colleague(acme.owner, 'admin@acme.test', 'admin');
    expect((await create(admin, { ...HELLO, shortcut: 'thanks' })).shortcut).toBe('thanks');
  });

  it('answers 409 for a shortcut the account uses already, with or without the slash', async () => {
    const acme = await account('Acme');
    const hello = await create(acme.owner);
    const bye = await create(acme.owner, { ...HELLO, shortcut: 'bye' });

    const duplicate = await call(acme.owner, 'POST', BASE, { ...HELLO, shortcut: 'hello', title: 'Other' });
    expect(duplicate.statusCode).toBe(409);
    expect(errorOf(duplicate).code).toBe('conflict');
    expect(errorOf(duplicate).message).toContain('/hello');
    const rename = await call(acme.owner, 'PATCH', `${BASE}/${bye.id}`, { shortcut: '/hello', title: 'Bye' });
    expect(rename.statusCode).toBe(409);
    expect(errorOf(rename).code).toBe('conflict');
    expect(await list(acme.owner)).toEqual([bye, hello]);

    const same = await call(acme.owner, 'PATCH', `${BASE}/${hello.id}`, { shortcut: 'hello' });
    expect(same.statusCode).toBe(200);
    const beta = await account('Beta');
    expect((await create(beta.owner)).shortcut).toBe('hello');
  });

  it.each([
    ['shortcut', 'an uppercase letter', { shortcut: '/Hello' }],
    ['shortcut', 'a leading "-"', { shortcut: '-hello' }],
    ['shortcut', 'two slashes', { shortcut: '//hello' }],
    ['shortcut', 'a space', { shortcut: 'hello there' }],
    ['shortcut', '33 characters', { shortcut: `/${'a'.repeat(33)}` }],
    ['title', 'only spaces', { title: '   ' }],
    ['title', '101 characters', { title: 'x'.repeat(101) }],
    ['body', 'an empty string', { body: '' }],
    ['body', '5001 characters', { body: 'x'.repeat(5001) }],
    ['body', 'no value', { body: undefined }],
  ])('answers 400 naming the %s for %s', async (field, _case, change) => {
    const acme = await account('Acme');
    const created = await call(acme.owner, 'POST', BASE, { ...HELLO, ...change });
    expect(created.statusCode).toBe(400);
    expect(errorOf(created)).toMatchObject({ code: 'validation_failed', details: [{ path: `body.${field}` }] });
    expect(await list(acme.owner)).toEqual([]);
  });

  it('accepts fields at their limits and refuses a change with no field', async () => {
    const acme = await account('Acme');
    const longest = { shortcut: `/${'a'.repeat(32)}`, title: 'x'.repeat(100), body: 'y'.repeat(5000) };
    const created = await create(acme.owner, longest);
    expect(created).toMatchObject({ ...longest, shortcut: 'a'.repeat(32) });

    const empty = await call(acme.owner, 'PATCH', `${BASE}/${created.id}`, {});
    expect(empty.statusCode).toBe(400);
    expect(errorOf(empty).code).toBe('validation_failed');
    const badTitle = await call(acme.owner, 'PATCH', `${BASE}/${created.id}`, { title: '' });
    expect(errorOf(badTitle)).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.title' }] });
    expect(await list(acme.owner)).toEqual([created]);
  });

  it("answers 404 for another account's canned response and leaves it unchanged", async () => {
    const alpha = await account('Alpha');
    const beta = await account('Beta');
    const theirs = await create(beta.owner);

    const patch = await call(alpha.owner, 'PATCH', `${BASE}/${theirs.id}`, { body: 'Hijacked' });
    expect(patch.statusCode).toBe(404);
    expect(errorOf(patch).code).toBe('not_found');
    const remove = await call(alpha.owner, 'DELETE', `${BASE}/${theirs.id}`);
    expect(remove.statusCode).toBe(404);
    // An unknown id answers the same as another account's id, so ids cannot be probed.
    const unknown = await call(alpha.owner, 'PATCH', `${BASE}/${randomUUID()}`, { body: 'Hijacked' });
    expect(errorOf(unknown).message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(
      errorOf(patch).message.replace(/[0-9a-f-]{36}/, 'ID'),
    );

    expect(await list(beta.owner)).toEqual([theirs]);
    expect(await list(alpha.owner)).toEqual([]);
  });

  it('refuses cookie-authenticated writes without the CSRF token', async () => {
    const acme = await account('Acme');
    const hello = await create(acme.owner);
    const forged: Caller = { cookies: acme.owner.cookies!, headers: {} };
    const writes = [
      await call(forged, 'POST', BASE, { ...HELLO, shortcut: 'forged' }),
      await call(forged, 'PATCH', `${BASE}/${hello.id}`, { body: 'Forged' }),
      await call(forged, 'DELETE', `${BASE}/${hello.id}`),
    ];
    for (const response of writes) {
      expect(response.statusCode).toBe(403);
      expect(errorOf(response).code).toBe('csrf_failed');
    }
    expect(await list(forged)).toEqual([hello]);
  });

  it('lets a read-scope token list, and a write token write with no operator as author', async () => {
    const acme = await account('Acme');
    const token = async (scope: 'read' | 'write'): Promise<Caller> => {
      const response = await call(acme.owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
      return { headers: { authorization: `Bearer ${response.json<{ secret: string }>().secret}` } };
    };
    const hello = await create(acme.owner);
    const read = await token('read');
    expect(await list(read)).toEqual([hello]);
    expect((await call(read, 'POST', BASE, { ...HELLO, shortcut: 'bot' })).statusCode).toBe(403);
    expect((await create(await token('write'), { ...HELLO, shortcut: 'bot' })).createdBy).toBeNull();
  });

  it('audits every write with the id only, never the title or text', async () => {
    const acme = await account('Acme');
    // Markers with letters past f: a random id (hex) can never contain them by chance.
    const secret = { shortcut: 'secret', title: 'Title marker q7tz', body: 'Body marker w9kx' };
    const created = await create(acme.owner, secret);
    await call(acme.owner, 'PATCH', `${BASE}/${created.id}`, { body: 'Changed marker v2my' });
    await call(acme.owner, 'DELETE', `${BASE}/${created.id}`);

    const audit = await call(acme.owner, 'GET', '/api/v1/audit-log');
    const entries = audit
      .json<{ entries: { action: string; targetKind: string | null; targetIds: string[] }[] }>()
      .entries.filter((e) => e.action.startsWith('canned-response.'));
    expect(entries).toMatchObject(
      ['deleted', 'updated', 'created'].map((verb) => ({
        action: `canned-response.${verb}`,
        targetKind: 'canned_response',
        targetIds: [created.id],
        actorKind: 'operator',
        actorId: acme.ownerId,
        count: null,
        at: t.clock.now(),
      })),
    );
    for (const marker of ['q7tz', 'w9kx', 'v2my', 'secret']) expect(audit.body).not.toContain(marker);
  });

  it('publishes its four routes in the OpenAPI document under one tag', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    const { paths } = response.json<{ paths: Record<string, Record<string, { tags: string[] }>> }>();
    const operations = [...Object.entries(paths[BASE] ?? {}), ...Object.entries(paths[`${BASE}/{id}`] ?? {})];
    expect(operations.map(([method]) => method).sort()).toEqual(['delete', 'get', 'patch', 'post']);
    for (const [, operation] of operations) expect(operation.tags).toEqual(['canned-responses']);
  });
});
