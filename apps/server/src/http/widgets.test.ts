import { createHash, randomUUID } from 'node:crypto';
import { WidgetConfig, type Role, type WidgetDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { insertWidget } from '../storage/widgets-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
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

  it('publishes its three routes in the OpenAPI document under one tag', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    const { paths } = response.json<{ paths: Record<string, Record<string, { tags: string[] }>> }>();
    const operations = [...Object.entries(paths[BASE] ?? {}), ...Object.entries(paths[`${BASE}/{widgetId}`] ?? {})];
    expect(operations.map(([method]) => method).sort()).toEqual(['get', 'get', 'patch']);
    for (const [, operation] of operations) expect(operation.tags).toEqual(['widgets']);
  });
});
