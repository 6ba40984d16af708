import { createHash, randomUUID } from 'node:crypto';
import { WidgetConfig, type JobDto, type Role, type VisitorSessionDto, type WidgetDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { terminateAccount } from '../domain/accounts/terminate-account.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { seedSceneConversation } from '../domain/erasure/test-scene.js';
import { authenticateVisitor } from '../domain/visitors/start-visitor-session.js';
import { MAX_WIDGETS_PER_ACCOUNT } from '../domain/widgets/create-widget.js';
import { deleteWidgetJob } from '../jobs/delete-widget.js';
import { runJobsNow } from '../jobs/worker.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { insertWidget } from '../storage/widgets-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { findRaw, rawDatabase } from '../test-support/raw-database.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const BASE = '/api/v1/widgets';
const DEFAULTS = {
  color: '#2f6fed',
  textColor: '#ffffff',
  position: 'right',
  buttonLabel: null,
  greeting: null,
  operatorDisplay: 'name-and-avatar',
  language: 'auto',
  businessHours: null,
  allowedOrigins: [],
  privacy: { optIn: true, policyUrl: null, noticeText: null },
};

describe(`widgets over HTTP (${testDialect})`, () => {
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

  /** An account with its owner logged in, and the first widget every account gets. */
  async function account(
    name: string,
  ): Promise<{ accountId: string; ownerId: string; owner: Caller; widgetId: string }> {
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
      widgetId: created.widget.id,
    };
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
    return logInAs(app, { email, password: PASSWORD });
  }

  /** An API token of the owner's account with `scope`. */
  async function token(owner: Caller, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  async function get(caller: Caller, widgetId: string): Promise<WidgetDto> {
    const response = await call(caller, 'GET', `${BASE}/${widgetId}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<WidgetDto>();
  }

  async function patch(caller: Caller, widgetId: string, change: object): Promise<WidgetDto> {
    const response = await call(caller, 'PATCH', `${BASE}/${widgetId}`, change);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<WidgetDto>();
  }

  /** The public config file the loader and the chat window read. */
  async function publicConfig(publicKey: string): Promise<WidgetConfig> {
    const response = await app.inject({ method: 'GET', url: `/widget/v1/config/${publicKey}.json` });
    expect(response.statusCode).toBe(200);
    return WidgetConfig.parse(response.json());
  }

  /** The status codes of a widget's two files: its config and its window page. */
  async function fileStatuses(publicKey: string): Promise<number[]> {
    const urls = [`/widget/v1/config/${publicKey}.json`, `/widget/v1/window/${publicKey}.html`];
    return Promise.all(urls.map(async (url) => (await app.inject({ method: 'GET', url })).statusCode));
  }

  const startSession = (publicKey: string) =>
    app.inject({ method: 'POST', url: '/api/v1/visitor-sessions', payload: { publicKey } });

  async function addWidget(caller: Caller, body: object): Promise<WidgetDto> {
    // A millisecond apart, so the list's order (oldest first) is known.
    t.clock.advance(1);
    const response = await call(caller, 'POST', BASE, body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<WidgetDto>();
  }

  async function listed(caller: Caller): Promise<string[]> {
    const response = await call(caller, 'GET', BASE);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ widgets: WidgetDto[] }>().widgets.map((w) => w.name);
  }

  async function deleteStarted(caller: Caller, widgetId: string): Promise<JobDto> {
    const response = await call(caller, 'DELETE', `${BASE}/${widgetId}`);
    expect(response.statusCode, response.body).toBe(202);
    return response.json<JobDto>();
  }

  it("lists the account's widgets oldest first and gets one, with every default filled in", async () => {
    const acme = await account('Acme');
    await account('Beta');
    t.clock.advance(1000);
    const shop = await insertWidget(t.ctx.database.db, {
      accountId: acme.accountId,
      name: 'Shop',
      settings: { color: '#112233', privacy: { optIn: false } },
      now: t.clock.now(),
    });

    const response = await call(acme.owner, 'GET', BASE);
    expect(response.statusCode).toBe(200);
    const { widgets } = response.json<{ widgets: WidgetDto[] }>();
    expect(widgets.map((w) => w.name)).toEqual(['Website', 'Shop']);
    expect(widgets[1]).toEqual({
      id: shop.id,
      publicKey: shop.publicKey,
      name: 'Shop',
      settings: { ...DEFAULTS, color: '#112233', privacy: { optIn: false, policyUrl: null, noticeText: null } },
      createdAt: t.clock.now(),
      updatedAt: t.clock.now(),
    });
    expect(widgets[0]?.settings).toEqual(DEFAULTS);
    expect(await get(acme.owner, shop.id)).toEqual(widgets[1]);
  });

  it('changes color, language, allowed sites and privacy policy, and the public config shows them at once', async () => {
    const acme = await account('Acme');
    const before = await get(acme.owner, acme.widgetId);
    t.clock.advance(60_000);

    const changed = await patch(acme.owner, acme.widgetId, {
      settings: {
        color: '#AA3300',
        language: 'de',
        allowedOrigins: ['https://WWW.Acme.test', 'http://localhost:8080'],
        privacy: { policyUrl: 'https://acme.test/privacy' },
      },
    });
    const settings = {
      ...DEFAULTS,
      color: '#AA3300',
      language: 'de',
      allowedOrigins: ['https://www.acme.test', 'http://localhost:8080'],
      privacy: { optIn: true, policyUrl: 'https://acme.test/privacy', noticeText: null },
    };
    expect(changed).toEqual({ ...before, settings, updatedAt: t.clock.now() });
    expect(await get(acme.owner, acme.widgetId)).toEqual(changed);
    expect(await publicConfig(before.publicKey)).toMatchObject(settings);
  });

  it('keeps what a change does not name, privacy keys one by one, and resets a field sent as null', async () => {
    const acme = await account('Acme');
    await patch(acme.owner, acme.widgetId, {
      name: '  Support site ',
      settings: { greeting: 'Hi there!', position: 'left', privacy: { optIn: false } },
    });
    await patch(acme.owner, acme.widgetId, { settings: { privacy: { policyUrl: 'https://acme.test/privacy' } } });
    const reset = await patch(acme.owner, acme.widgetId, { settings: { greeting: null } });

    expect(reset.name).toBe('Support site');
    expect(reset.settings).toEqual({
      ...DEFAULTS,
      position: 'left',
      privacy: { optIn: false, policyUrl: 'https://acme.test/privacy', noticeText: null },
    });
    expect(await publicConfig(reset.publicKey)).toMatchObject(reset.settings);
  });

  it("serves an own privacy notice with its consent version, and the built-in one's again after a reset", async () => {
    const acme = await account('Acme');
    const text = 'We keep your messages for six months to answer you.';
    const changed = await patch(acme.owner, acme.widgetId, { settings: { privacy: { noticeText: ` ${text} ` } } });
    expect(changed.settings.privacy).toEqual({ optIn: true, policyUrl: null, noticeText: text });
    const digest = createHash('sha256').update(text).digest('hex');
    expect((await publicConfig(changed.publicKey)).privacy).toEqual({
      optIn: true,
      policyUrl: null,
      noticeText: text,
      noticeVersion: `custom-${digest.slice(0, 8)}`,
    });

    await patch(acme.owner, acme.widgetId, { settings: { privacy: { noticeText: null } } });
    expect((await publicConfig(changed.publicKey)).privacy).toMatchObject({ noticeText: null, noticeVersion: null });
    const tooLong = await call(acme.owner, 'PATCH', `${BASE}/${acme.widgetId}`, {
      settings: { privacy: { noticeText: 'x'.repeat(1001) } },
    });
    expect(errorOf(tooLong)).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'body.settings.privacy.noticeText' }],
    });
  });

  it.each([
    ['a color by name', { settings: { color: 'red' } }, 'body.settings.color'],
    [
      'a site with a path',
      { settings: { allowedOrigins: ['https://acme.test/shop'] } },
      'body.settings.allowedOrigins.0',
    ],
    ['an unknown setting', { settings: { colour: '#112233' } }, 'body.settings'],
    ['an unknown privacy key', { settings: { privacy: { optOut: true } } }, 'body.settings.privacy'],
    ['an unknown top-level key', { publicKey: 'pk_mine' }, 'body'],
    ['a language the widget does not speak', { settings: { language: 'fr' } }, 'body.settings.language'],
    ['null for a setting with a non-null default', { settings: { color: null } }, 'body.settings.color'],
    ['a blank name', { name: '   ' }, 'body.name'],
  ])('answers 400 for %s and stores nothing', async (_case, change, path) => {
    const acme = await account('Acme');
    const before = await get(acme.owner, acme.widgetId);
    t.clock.advance(60_000);

    const response = await call(acme.owner, 'PATCH', `${BASE}/${acme.widgetId}`, {
      ...change,
      // A valid change beside the bad one: the whole request is refused, not applied in part.
      ...('settings' in change ? {} : { settings: { greeting: 'Partly applied?' } }),
    });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'validation_failed', details: [{ path }] });
    expect(await get(acme.owner, acme.widgetId)).toEqual(before);
    expect(await publicConfig(before.publicKey)).toMatchObject(before.settings);
  });

  it('refuses a change with nothing in it', async () => {
    const acme = await account('Acme');
    const before = await get(acme.owner, acme.widgetId);
    const response = await call(acme.owner, 'PATCH', `${BASE}/${acme.widgetId}`, {});
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('validation_failed');
    expect(await get(acme.owner, acme.widgetId)).toEqual(before);
  });

  it('lets an operator read widgets but not change them, and an admin change them', async () => {
    const acme = await account('Acme');
    const before = await get(acme.owner, acme.widgetId);
    const operator = await colleague(acme.owner, 'op@acme.test', 'operator');
    expect(await get(operator, acme.widgetId)).toEqual(before);

    const refused = await call(operator, 'PATCH', `${BASE}/${acme.widgetId}`, { settings: { color: '#000000' } });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('forbidden');
    expect(await get(acme.owner, acme.widgetId)).toEqual(before);

    const admin = await colleague(acme.owner, 'admin@acme.test', 'admin');
    expect((await patch(admin, acme.widgetId, { settings: { color: '#000000' } })).settings.color).toBe('#000000');
  });

  it('refuses a cookie-authenticated change without the CSRF token', async () => {
    const acme = await account('Acme');
    const forged: Caller = { cookies: acme.owner.cookies!, headers: {} };
    const response = await call(forged, 'PATCH', `${BASE}/${acme.widgetId}`, { settings: { color: '#000000' } });
    expect(response.statusCode).toBe(403);
    expect(errorOf(response).code).toBe('csrf_failed');
    expect((await get(acme.owner, acme.widgetId)).settings.color).toBe(DEFAULTS.color);
  });

  it("answers 404 for another account's widget, as for an unknown one, and leaves it unchanged", async () => {
    const alpha = await account('Alpha');
    const beta = await account('Beta');
    const theirs = await get(beta.owner, beta.widgetId);

    const read = await call(alpha.owner, 'GET', `${BASE}/${beta.widgetId}`);
    expect(read.statusCode).toBe(404);
    expect(errorOf(read).code).toBe('not_found');
    const change = await call(alpha.owner, 'PATCH', `${BASE}/${beta.widgetId}`, { settings: { allowedOrigins: [] } });
    expect(change.statusCode).toBe(404);
    expect(errorOf(change).code).toBe('not_found');
    // An unknown id answers the same as another account's id, so ids cannot be probed.
    const unknown = await call(alpha.owner, 'PATCH', `${BASE}/${randomUUID()}`, { settings: { allowedOrigins: [] } });
    expect(errorOf(unknown).message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(
      errorOf(change).message.replace(/[0-9a-f-]{36}/, 'ID'),
    );

    expect(await get(beta.owner, beta.widgetId)).toEqual(theirs);
    const alphaWidgets = (await call(alpha.owner, 'GET', BASE)).json<{ widgets: WidgetDto[] }>().widgets;
    expect(alphaWidgets.map((w) => w.id)).toEqual([alpha.widgetId]);
  });

  it('lets a read-scope token read widgets but not change them, and a write token change them', async () => {
    const acme = await account('Acme');
    const before = await get(acme.owner, acme.widgetId);
    const read = await token(acme.owner, 'read');
    expect((await call(read, 'GET', BASE)).statusCode).toBe(200);
    expect(await get(read, acme.widgetId)).toEqual(before);

    const refused = await call(read, 'PATCH', `${BASE}/${acme.widgetId}`, { settings: { color: '#000000' } });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('forbidden');
    expect(await get(acme.owner, acme.widgetId)).toEqual(before);

    const write = await token(acme.owner, 'write');
    expect((await patch(write, acme.widgetId, { settings: { color: '#000000' } })).settings.color).toBe('#000000');
  });

  it('keeps both of two concurrent changes to different settings', async () => {
    const acme = await account('Acme');
    const responses = await Promise.all([
      call(acme.owner, 'PATCH', `${BASE}/${acme.widgetId}`, { settings: { color: '#000000' } }),
      call(acme.owner, 'PATCH', `${BASE}/${acme.widgetId}`, { settings: { greeting: 'Hello!' } }),
      call(acme.owner, 'PATCH', `${BASE}/${acme.widgetId}`, { settings: { privacy: { optIn: false } } }),
    ]);
    for (const response of responses) expect(response.statusCode, response.body).toBe(200);
    expect((await get(acme.owner, acme.widgetId)).settings).toEqual({
      ...DEFAULTS,
      color: '#000000',
      greeting: 'Hello!',
      privacy: { optIn: false, policyUrl: null, noticeText: null },
    });
  });

  it('audits a change with the widget id only, never the settings', async () => {
    const acme = await account('Acme');
    // Markers with letters past f: a random id (hex) can never contain them by chance.
    await patch(acme.owner, acme.widgetId, {
      name: 'Name marker q7tz',
      settings: { greeting: 'Greeting marker w9kx', allowedOrigins: ['https://v2my.test'] },
    });

    const audit = await call(acme.owner, 'GET', '/api/v1/audit-log');
    expect(audit.statusCode).toBe(200);
    const entries = audit
      .json<{ entries: { action: string }[] }>()
      .entries.filter((e) => e.action.startsWith('widget.'));
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'widget.updated',
        targetKind: 'widget',
        targetIds: [acme.widgetId],
        actorKind: 'operator',
        actorId: acme.ownerId,
        count: null,
        at: t.clock.now(),
      }),
    ]);
    for (const marker of ['q7tz', 'w9kx', 'v2my']) expect(audit.body).not.toContain(marker);
  });

  it('adds a widget with a name and settings: listed, its files served, visitors welcome, audited', async () => {
    const acme = await account('Acme');
    t.clock.advance(60_000);

    const shop = await addWidget(acme.owner, {
      name: ' Shop ',
      settings: { color: '#112233', allowedOrigins: ['https://Shop.Acme.test'], privacy: { optIn: false } },
    });
    expect(shop).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      publicKey: expect.stringMatching(/^pk_[A-Za-z0-9_-]{22}$/) as unknown,
      name: 'Shop',
      settings: {
        ...DEFAULTS,
        color: '#112233',
        allowedOrigins: ['https://shop.acme.test'],
        privacy: { optIn: false, policyUrl: null, noticeText: null },
      },
      createdAt: t.clock.now(),
      updatedAt: t.clock.now(),
    });
    expect(await listed(acme.owner)).toEqual(['Website', 'Shop']);
    expect(await get(acme.owner, shop.id)).toEqual(shop);
    expect(await fileStatuses(shop.publicKey)).toEqual([200, 200]);
    expect(await publicConfig(shop.publicKey)).toMatchObject(shop.settings);
    const session = await app.inject({
      method: 'POST',
      url: '/api/v1/visitor-sessions',
      payload: { publicKey: shop.publicKey, siteOrigin: 'https://shop.acme.test' },
    });
    expect(session.statusCode, session.body).toBe(201);
    // Settings not given follow the defaults, as they do for the first widget.
    const blog = await addWidget(acme.owner, { name: 'Blog' });
    expect(blog.settings).toEqual(DEFAULTS);

    const entries = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 2 });
    const created = { action: 'widget.created', targetKind: 'widget', actorKind: 'operator', actorId: acme.ownerId };
    expect(entries).toMatchObject([
      { ...created, targetIds: [blog.id] },
      { ...created, targetIds: [shop.id] },
    ]);
  });

  it.each([
    ['no name', { settings: { color: '#112233' } }, 'body.name'],
    ['a name that is a number', { name: 42 }, 'body.name'],
    ['a blank name', { name: '   ' }, 'body.name'],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, 'body.name'],
    ['settings that are a string', { name: 'Shop', settings: 'blue' }, 'body.settings'],
    ['a color by name', { name: 'Shop', settings: { color: 'red' } }, 'body.settings.color'],
    ['an unknown setting', { name: 'Shop', settings: { colour: '#112233' } }, 'body.settings'],
    ['its own public key', { name: 'Shop', publicKey: 'pk_mine' }, 'body'],
  ])('answers 400 for a new widget with %s, and adds nothing', async (_case, body, path) => {
    const acme = await account('Acme');
    const response = await call(acme.owner, 'POST', BASE, body);
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'validation_failed', details: [{ path }] });
    expect(await listed(acme.owner)).toEqual(['Website']);
  });

  it(`refuses more than ${MAX_WIDGETS_PER_ACCOUNT} widgets with too_many_widgets; one being deleted does not count`, async () => {
    const acme = await account('Acme');
    const now = t.clock.now();
    for (let i = 1; i < MAX_WIDGETS_PER_ACCOUNT; i++) {
      await insertWidget(t.ctx.database.db, { accountId: acme.accountId, name: `Site ${i}`, now });
    }
    const refused = await call(acme.owner, 'POST', BASE, { name: 'One more' });
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused)).toMatchObject({
      code: 'too_many_widgets',
      message: expect.stringContaining(`${MAX_WIDGETS_PER_ACCOUNT} widgets`) as unknown,
    });
    expect(await listed(acme.owner)).toHaveLength(MAX_WIDGETS_PER_ACCOUNT);

    await deleteStarted(acme.owner, acme.widgetId);
    expect((await addWidget(acme.owner, { name: 'One more' })).name).toBe('One more');
  });

  it('deletes a widget with everything of it: conversations, keys and files erased, its files and sessions gone at once', async () => {
    const acme = await account('Acme');
    const shop = await addWidget(acme.owner, { name: 'Shop' });
    const ofShop = { ...acme, widgetId: shop.id };
    const erased = [
      await seedSceneConversation(t.ctx, { account: ofShop, file: true, contactName: 'Ada', close: true, rating: 4 }),
      // Still open when the delete comes: it ends first, as the system.
      await seedSceneConversation(t.ctx, { account: ofShop, operatorId: acme.ownerId }),
    ];
    const kept = await seedSceneConversation(t.ctx, { account: acme, close: true });
    const erasedIds = erased.map((c) => c.conversationId);
    const db = t.ctx.database.db;
    const keys = () => db.selectFrom('keyring').selectAll().where('subject_id', 'in', erasedIds).execute();
    const wrappedKeys = (await keys()).flatMap((k) => (k.wrapped_key ? [k.wrapped_key] : []));
    expect(wrappedKeys).toHaveLength(2);
    const sealedOf = async (conversationId: string) =>
      (
        await db.selectFrom('messages').select('body_sealed').where('conversation_id', '=', conversationId).execute()
      ).map((m) => m.body_sealed);
    const erasedSealed = (await Promise.all(erasedIds.map(sealedOf))).flat();
    expect(erasedSealed).toHaveLength(5);
    const earlier = await startSession(shop.publicKey);
    expect(earlier.statusCode).toBe(201);
    const visitor = await authenticateVisitor(t.ctx, earlier.json<VisitorSessionDto>().token);
    t.clock.advance(1000);

    const job = await deleteStarted(acme.owner, shop.id);

    expect(job).toMatchObject({ name: 'delete-widget', status: 'queued', total: 2, unit: 'conversations' });
    // Gone for everyone at once, before the job runs: the list, the API, its files, new sessions.
    expect(await listed(acme.owner)).toEqual(['Website']);
    expect((await call(acme.owner, 'GET', `${BASE}/${shop.id}`)).statusCode).toBe(404);
    expect((await call(acme.owner, 'PATCH', `${BASE}/${shop.id}`, { name: 'Back' })).statusCode).toBe(404);
    expect(await fileStatuses(shop.publicKey)).toEqual([404, 404]);
    const session = await startSession(shop.publicKey);
    const unknown = await startSession('pk_AAAAAAAAAAAAAAAAAAAAAA');
    expect([session.statusCode, errorOf(session).code, errorOf(session).message]).toEqual([
      unknown.statusCode,
      errorOf(unknown).code,
      errorOf(unknown).message,
    ]);
    expect(session.statusCode).toBe(404);
    // A window with a session from before starts nothing new.
    await expect(startConversation(t.ctx, { visitor, consent: { version: 'en-1' } })).rejects.toMatchObject({
      code: 'not_found',
    });

    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    const done = await call(acme.owner, 'GET', `/api/v1/jobs/${job.id}`);
    expect(done.json<JobDto>()).toMatchObject({
      status: 'done',
      done: 2,
      total: 2,
      result: { conversations: 2, messages: 5, attachments: 1, contacts: 1 },
    });
    const left = await db.selectFrom('conversations').select('id').execute();
    expect(left.map((c) => c.id)).toEqual([kept.conversationId]);
    expect(await db.selectFrom('messages').select('id').where('conversation_id', 'in', erasedIds).execute()).toEqual(
      [],
    );
    expect(await db.selectFrom('attachments').select('id').execute()).toEqual([]);
    for (const key of await keys()) expect(key).toMatchObject({ wrapped_key: null, destroyed_at: t.clock.now() });
    for (const file of erased[0]?.files ?? []) expect(await t.ctx.fileStore.get(file)).toBeUndefined();
    expect(await db.selectFrom('widgets').select('id').where('id', '=', shop.id).execute()).toEqual([]);
    expect(await db.selectFrom('visitors').select('id').where('widget_id', '=', shop.id).execute()).toEqual([]);
    const raw = rawDatabase(t);
    expect(findRaw(raw, [...erased.flatMap((c) => c.markers), ...erasedSealed, ...wrappedKeys])).toEqual([]);
    expect(findRaw(raw, await sealedOf(kept.conversationId)), 'the scan sees what is kept').not.toEqual([]);
    const actions = (await listAuditEntries(db, { accountId: acme.accountId, limit: 10 })).map((e) => e.action);
    // Newest first: the removal, the erasure's transactions (one or more), the start.
    const started = actions.indexOf('widget.deletion-started');
    expect(actions[0]).toBe('widget.deleted');
    expect(new Set(actions.slice(1, started))).toEqual(new Set(['conversations.erased']));
    const [deleted] = await listAuditEntries(db, { accountId: acme.accountId, limit: 1 });
    expect(deleted).toMatchObject({ targetKind: 'widget', targetIds: [shop.id], actorId: acme.ownerId, count: 2 });
    expect(await fileStatuses(shop.publicKey)).toEqual([404, 404]);
  });

  it('answers the same job when asked again, refuses to cancel it, and 404 once the widget is gone', async () => {
    const acme = await account('Acme');
    const shop = await addWidget(acme.owner, { name: 'Shop' });
    const first = await deleteStarted(acme.owner, shop.id);
    expect((await deleteStarted(acme.owner, shop.id)).id).toBe(first.id);

    const cancel = await call(acme.owner, 'POST', `/api/v1/jobs/${first.id}/cancel`);
    expect(cancel.statusCode).toBe(409);
    expect(errorOf(cancel).code).toBe('conflict');

    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    const again = await call(acme.owner, 'DELETE', `${BASE}/${shop.id}`);
    expect(again.statusCode).toBe(404);
    expect(errorOf(again).code).toBe('not_found');
  });

  it("keeps the account's last widget: last_widget, also when the other one is being deleted", async () => {
    const acme = await account('Acme');
    const only = await call(acme.owner, 'DELETE', `${BASE}/${acme.widgetId}`);
    expect(only.statusCode).toBe(409);
    expect(errorOf(only)).toMatchObject({
      code: 'last_widget',
      message: expect.stringContaining('add another one') as unknown,
    });
    const shop = await addWidget(acme.owner, { name: 'Shop' });
    await deleteStarted(acme.owner, shop.id);
    const last = await call(acme.owner, 'DELETE', `${BASE}/${acme.widgetId}`);
    expect(errorOf(last).code).toBe('last_widget');
    expect(await fileStatuses((await get(acme.owner, acme.widgetId)).publicKey)).toEqual([200, 200]);
  });

  it("answers 404 for another account's widget and an unknown id, 400 for a malformed one, and deletes nothing", async () => {
    const alpha = await account('Alpha');
    const beta = await account('Beta');
    await addWidget(alpha.owner, { name: 'Shop' });
    const betaShop = await addWidget(beta.owner, { name: 'Shop' });

    const theirs = await call(alpha.owner, 'DELETE', `${BASE}/${betaShop.id}`);
    expect(theirs.statusCode).toBe(404);
    expect(errorOf(theirs).code).toBe('not_found');
    const unknown = await call(alpha.owner, 'DELETE', `${BASE}/${randomUUID()}`);
    expect(errorOf(unknown).message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(
      errorOf(theirs).message.replace(/[0-9a-f-]{36}/, 'ID'),
    );
    const malformed = await call(alpha.owner, 'DELETE', `${BASE}/not-a-widget`);
    expect(malformed.statusCode).toBe(400);
    expect(errorOf(malformed)).toMatchObject({ code: 'validation_failed', details: [{ path: 'params.widgetId' }] });

    expect(await listed(beta.owner)).toEqual(['Website', 'Shop']);
    expect(await fileStatuses(betaShop.publicKey)).toEqual([200, 200]);
    expect(await t.ctx.database.db.selectFrom('jobs').select('id').execute()).toEqual([]);
  });

  it('lets admins and write tokens add and delete widgets, and refuses operators and read-only tokens', async () => {
    const acme = await account('Acme');
    const shop = await addWidget(acme.owner, { name: 'Shop' });
    const operator = await colleague(acme.owner, 'op@acme.test', 'operator');
    const reader = await token(acme.owner, 'read');
    for (const caller of [operator, reader]) {
      const add = await call(caller, 'POST', BASE, { name: 'Blog' });
      const remove = await call(caller, 'DELETE', `${BASE}/${shop.id}`);
      expect([add.statusCode, errorOf(add).code]).toEqual([403, 'forbidden']);
      expect([remove.statusCode, errorOf(remove).code]).toEqual([403, 'forbidden']);
    }
    expect(await listed(acme.owner)).toEqual(['Website', 'Shop']);

    const admin = await colleague(acme.owner, 'admin@acme.test', 'admin');
    const blog = await addWidget(admin, { name: 'Blog' });
    await deleteStarted(admin, shop.id);
    const writer = await token(acme.owner, 'write');
    await addWidget(writer, { name: 'Help' });
    await deleteStarted(writer, blog.id);
    expect(await listed(acme.owner)).toEqual(['Website', 'Help']);
  });

  it('adds no widget in a terminated account, and still deletes one', async () => {
    const acme = await account('Acme');
    const shop = await addWidget(acme.owner, { name: 'Shop' });
    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId: acme.accountId } });

    const add = await call(acme.owner, 'POST', BASE, { name: 'Blog' });
    expect([add.statusCode, errorOf(add).code]).toEqual([403, 'account_terminated']);
    expect((await deleteStarted(acme.owner, shop.id)).name).toBe('delete-widget');
    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    expect(await listed(acme.owner)).toEqual(['Website']);
  });

  it('publishes its routes in the OpenAPI document under one tag', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    const { paths } = response.json<{ paths: Record<string, Record<string, { tags: string[] }>> }>();
    const operations = [...Object.entries(paths[BASE] ?? {}), ...Object.entries(paths[`${BASE}/{widgetId}`] ?? {})];
    expect(operations.map(([method]) => method).sort()).toEqual(['delete', 'get', 'get', 'patch', 'post']);
    for (const [, operation] of operations) expect(operation.tags).toEqual(['widgets']);
  });
});
