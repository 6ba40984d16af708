import type { AccountFunctionDto, OptionalFunction, Role } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { terminateAccount } from '../domain/accounts/terminate-account.js';
import { activeFunctions } from '../domain/functions/account-functions.js';
import { assignPlan, deletePlan, listPlans, setPlan } from '../domain/functions/plans.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const BASE = '/api/v1/account/functions';
/** A mail server and a translation service, as an installation sets them up (nothing is sent here). */
const PROVIDERS = {
  SMTP_URL: 'smtp://mail.example.test:2525',
  SMTP_FROM: 'chat@example.test',
  SMTP_COUNTRY: 'DE',
  TRANSLATION_URL: 'https://translate.example.test/v2',
  TRANSLATION_API_KEY: 'key-1234',
  TRANSLATION_COUNTRY: 'DE',
};

describe(`optional functions and plans (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  async function start(env: Record<string, string> = {}) {
    t = await createTestContext({ env });
    app = await buildServer(t.ctx);
  }
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  function call(caller: Caller, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
  }

  async function account(name: string, plan = 'standard') {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan,
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return { accountId: created.accountId, owner: await logInAs(app, { email, password: PASSWORD }) };
  }

  async function colleague(owner: Caller, email: string, role: Role): Promise<Caller> {
    const response = await call(owner, 'POST', '/api/v1/operators', {
      email,
      displayName: 'Colleague',
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return logInAs(app, { email, password: PASSWORD });
  }

  async function functions(caller: Caller): Promise<Record<OptionalFunction, AccountFunctionDto>> {
    const response = await call(caller, 'GET', BASE);
    expect(response.statusCode, response.body).toBe(200);
    const list = response.json<{ functions: AccountFunctionDto[] }>().functions;
    expect(list.map((entry) => entry.function)).toEqual(['email', 'webhooks', 'translation']);
    return Object.fromEntries(list.map((entry) => [entry.function, entry])) as Record<
      OptionalFunction,
      AccountFunctionDto
    >;
  }

  const turn = (caller: Caller, fn: string, enabled: unknown) => call(caller, 'PUT', `${BASE}/${fn}`, { enabled });

  describe('with a mail server and a translation service set up', () => {
    beforeEach(() => start(PROVIDERS));

    it('keeps every function off until the account turns it on and its plan includes it', async () => {
      const acme = await account('Acme');
      const before = await functions(acme.owner);
      for (const entry of Object.values(before)) {
        expect(entry).toMatchObject({ inPlan: false, configured: true, enabled: false, active: false });
      }
      expect(before.email.processor).toMatchObject({ hosts: ['mail.example.test:2525'], country: 'DE' });
      expect(before.translation.processor).toMatchObject({ hosts: ['translate.example.test'], country: 'DE' });

      // The standard plan includes none.
      let response = await turn(acme.owner, 'webhooks', true);
      expect(response.statusCode).toBe(409);
      expect(errorOf(response)).toMatchObject({ code: 'function_not_in_plan' });
      expect(errorOf(response).message).toMatch(/plan "standard" does not include webhooks/);

      await setPlan(t.ctx, { name: 'complete', functions: ['email', 'webhooks', 'translation'] });
      await assignPlan(t.ctx, { accountId: acme.accountId, plan: 'complete' });
      for (const fn of ['email', 'webhooks', 'translation'] as const) {
        response = await turn(acme.owner, fn, true);
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json<AccountFunctionDto>()).toMatchObject({ function: fn, enabled: true, active: true });
      }
      expect([...(await activeFunctions(t.ctx, t.ctx.database.db, acme.accountId))].sort()).toEqual([
        'email',
        'translation',
        'webhooks',
      ]);
      // Turning on what is on changes nothing and audits nothing more.
      expect((await turn(acme.owner, 'email', true)).statusCode).toBe(200);
      const audit = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 20 });
      expect(audit.filter((entry) => entry.action === 'function.enabled').map((e) => e.targetIds)).toEqual([
        ['translation'],
        ['webhooks'],
        ['email'],
      ]);
      expect(audit.find((entry) => entry.action === 'account.plan_changed')?.targetIds).toEqual(['complete']);

      // Taken out of the plan, a function stops at once; it stays turned on in the account's settings.
      await setPlan(t.ctx, { name: 'complete', functions: ['email', 'translation'] });
      expect((await functions(acme.owner)).webhooks).toMatchObject({ inPlan: false, enabled: true, active: false });
      // Another plan without any: all stop.
      await assignPlan(t.ctx, { accountId: acme.accountId, plan: 'standard' });
      expect(await activeFunctions(t.ctx, t.ctx.database.db, acme.accountId)).toEqual(new Set());
      // Turning off always works.
      response = await turn(acme.owner, 'email', false);
      expect(response.json<AccountFunctionDto>()).toMatchObject({ enabled: false, active: false });
    });

    it('changes only the caller’s own account, and only for admins', async () => {
      await setPlan(t.ctx, { name: 'complete', functions: ['email', 'webhooks', 'translation'] });
      const acme = await account('Acme', 'complete');
      const globex = await account('Globex', 'complete');
      expect((await turn(acme.owner, 'webhooks', true)).statusCode).toBe(200);
      expect((await functions(globex.owner)).webhooks.enabled).toBe(false);
      expect(await activeFunctions(t.ctx, t.ctx.database.db, globex.accountId)).toEqual(new Set());

      const operator = await colleague(acme.owner, 'op@acme.test', 'operator');
      expect((await functions(operator)).webhooks.enabled).toBe(true);
      const refused = await turn(operator, 'webhooks', false);
      expect(refused.statusCode).toBe(403);
      expect(errorOf(refused).code).toBe('forbidden');

      const readToken = await call(acme.owner, 'POST', '/api/v1/api-tokens', { name: 'Read', scope: 'read' });
      const reader = bearer(readToken.json<{ secret: string }>().secret);
      expect((await turn(reader, 'webhooks', false)).statusCode).toBe(403);
      expect((await functions(acme.owner)).webhooks.enabled).toBe(true);
    });

    it('answers bad input with clear errors, changing nothing', async () => {
      await setPlan(t.ctx, { name: 'complete', functions: ['email', 'webhooks', 'translation'] });
      const acme = await account('Acme', 'complete');
      const unknown = await turn(acme.owner, 'telemetry', true);
      expect(unknown.statusCode).toBe(404);
      expect(errorOf(unknown)).toMatchObject({ code: 'not_found' });
      expect(errorOf(unknown).message).toMatch(/there are email, webhooks, translation/);
      for (const body of [{ enabled: 'yes' }, { enabled: true, extra: 1 }, {}]) {
        const response = await call(acme.owner, 'PUT', `${BASE}/email`, body);
        expect(response.statusCode).toBe(400);
        expect(errorOf(response).code).toBe('validation_failed');
      }
      expect((await callAs(app, { headers: {} }, { method: 'GET', url: BASE })).statusCode).toBe(401);
      expect(Object.values(await functions(acme.owner)).every((entry) => !entry.enabled)).toBe(true);

      // A terminated account's functions do not run, whatever it turned on.
      expect((await turn(acme.owner, 'email', true)).statusCode).toBe(200);
      await terminateAccount(t.ctx, { by: { kind: 'cli', accountId: acme.accountId } });
      expect(await activeFunctions(t.ctx, t.ctx.database.db, acme.accountId)).toEqual(new Set());
    });
  });

  describe('without a mail server or a translation service', () => {
    beforeEach(() => start());

    it('refuses to turn on what the installation is not set up for', async () => {
      await setPlan(t.ctx, { name: 'complete', functions: ['email', 'webhooks', 'translation'] });
      const acme = await account('Acme', 'complete');
      const listed = await functions(acme.owner);
      expect(listed.email).toMatchObject({ inPlan: true, configured: false, active: false });
      expect(listed.email.processor).toMatchObject({ hosts: [], country: 'not set up' });
      for (const fn of ['email', 'translation']) {
        const response = await turn(acme.owner, fn, true);
        expect(response.statusCode).toBe(409);
        expect(errorOf(response).code).toBe('function_not_configured');
      }
      expect((await turn(acme.owner, 'webhooks', true)).statusCode).toBe(200);
    });

    it('keeps plans whole: names, functions, plans in use, unknown plans', async () => {
      expect((await listPlans(t.ctx)).map((plan) => [plan.name, plan.functions])).toEqual([['standard', []]]);
      await expect(setPlan(t.ctx, { name: 'Pro Plan', functions: [] })).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await expect(setPlan(t.ctx, { name: 'pro', functions: ['email', 'telemetry'] })).rejects.toThrow(
        /No optional function "telemetry"/,
      );
      const pro = await setPlan(t.ctx, { name: 'pro', functions: ['webhooks', 'webhooks', 'email'] });
      expect(pro).toMatchObject({ name: 'pro', functions: ['email', 'webhooks'], accounts: 0 });
      const acme = await account('Acme', 'pro');
      await expect(deletePlan(t.ctx, 'pro')).rejects.toMatchObject({ code: 'plan_in_use' });
      await expect(deletePlan(t.ctx, 'gold')).rejects.toMatchObject({ code: 'not_found' });
      await expect(deletePlan(t.ctx, 'standard')).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(assignPlan(t.ctx, { accountId: acme.accountId, plan: 'gold' })).rejects.toThrow(
        /There is no plan "gold"; the plans are pro, standard/,
      );
      await expect(assignPlan(t.ctx, { accountId: 'no-such-account', plan: 'pro' })).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(
        createAccount(t.ctx, {
          name: 'Initech',
          plan: 'gold',
          owner: { email: 'owner@initech.test', displayName: 'Owner', password: PASSWORD },
          actor: { kind: 'cli', id: null },
        }),
      ).rejects.toMatchObject({ code: 'not_found' });
      await assignPlan(t.ctx, { accountId: acme.accountId, plan: 'standard' });
      await deletePlan(t.ctx, 'pro');
      expect((await listPlans(t.ctx)).map((plan) => [plan.name, plan.accounts])).toEqual([['standard', 1]]);
    });
  });
});
