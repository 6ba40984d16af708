import type { AccountDto, Role } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';

interface AuditEntry {
  actorKind: string;
  actorId: string | null;
  action: string;
  targetKind: string | null;
  targetIds: string[];
}

describe(`the account and its privacy settings over HTTP (${testDialect})`, () => {
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

  async function account(name: string): Promise<{ accountId: string; ownerId: string; owner: Caller }> {
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
    };
  }

  async function colleague(owner: Caller, email: string, role: Role): Promise<Caller> {
    const response = await call(owner, 'POST', '/api/v1/operators', {
      email,
      displayName: role,
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return logInAs(app, { email, password: PASSWORD });
  }

  async function token(owner: Caller, scope: 'read' | 'write'): Promise<{ caller: Caller; id: string }> {
    const response = await call(owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode).toBe(201);
    const created = response.json<{ secret: string; token: { id: string } }>();
    return { caller: bearer(created.secret), id: created.token.id };
  }

  async function audit(owner: Caller): Promise<AuditEntry[]> {
    const response = await call(owner, 'GET', '/api/v1/audit-log');
    expect(response.statusCode).toBe(200);
    return response.json<{ entries: AuditEntry[] }>().entries.filter((e) => e.action === 'account.updated');
  }

  async function patch(caller: Caller, change: object): Promise<AccountDto> {
    const response = await call(caller, 'PATCH', '/api/v1/account', change);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<AccountDto>();
  }

  it('shows the account with IP display off and reports in UTC by default', async () => {
    const acme = await account('Acme');
    const response = await call(acme.owner, 'GET', '/api/v1/account');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: acme.accountId,
      name: 'Acme',
      plan: 'standard',
      status: 'active',
      retentionMonths: 12,
      showVisitorIp: false,
      timeZone: 'UTC',
      createdAt: t.clock.now(),
      terminatedAt: null,
      purgeAfterAt: null,
    });
  });

  it('lets owners and admins change name, retention and IP display, audited by the names of what changed', async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    const admin = await colleague(acme.owner, 'admin@acme.test', 'admin');

    const changed = await patch(acme.owner, { showVisitorIp: true, retentionMonths: 6 });
    expect(changed).toMatchObject({ name: 'Acme', retentionMonths: 6, showVisitorIp: true });
    expect((await call(acme.owner, 'GET', '/api/v1/account')).json()).toEqual(changed);
    const renamed = await patch(admin, { name: '  Acme Corp  ', showVisitorIp: true });
    expect(renamed).toEqual({ ...changed, name: 'Acme Corp' });

    const entries = await audit(acme.owner);
    expect(entries.map((e) => [e.actorKind, e.targetKind, e.targetIds])).toEqual([
      ['operator', 'account_setting', ['name']],
      ['operator', 'account_setting', ['retentionMonths', 'showVisitorIp']],
    ]);
    expect(JSON.stringify(entries)).not.toContain('Acme Corp');
    expect(entries[1]?.actorId).toBe(acme.ownerId);

    // Nothing changed: nothing audited.
    expect(await patch(acme.owner, { retentionMonths: 6 })).toEqual(renamed);
    expect(await audit(acme.owner)).toHaveLength(2);

    // A time zone is stored by its canonical name, and audited by the setting's name alone.
    const zoned = await patch(acme.owner, { timeZone: 'america/new_york' });
    expect(zoned).toEqual({ ...renamed, timeZone: 'America/New_York' });
    expect((await audit(acme.owner)).map((e) => e.targetIds)).toEqual([
      ['timeZone'],
      ['name'],
      ['retentionMonths', 'showVisitorIp'],
    ]);
    expect(await patch(acme.owner, { timeZone: 'America/New_York' })).toEqual(zoned);
    expect(await audit(acme.owner)).toHaveLength(3);

    // The other account is untouched.
    expect((await call(beta.owner, 'GET', '/api/v1/account')).json()).toMatchObject({
      name: 'Beta',
      retentionMonths: 12,
      showVisitorIp: false,
      timeZone: 'UTC',
    });
    expect(await audit(beta.owner)).toEqual([]);
  });

  it('refuses operators and read-only tokens with forbidden; a write token acts as admin', async () => {
    const acme = await account('Acme');
    const agent = await colleague(acme.owner, 'agent@acme.test', 'operator');
    const reader = await token(acme.owner, 'read');
    const writer = await token(acme.owner, 'write');

    for (const caller of [agent, reader.caller]) {
      const response = await call(caller, 'PATCH', '/api/v1/account', { showVisitorIp: true });
      expect(response.statusCode).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
      expect((await call(caller, 'GET', '/api/v1/account')).json()).toMatchObject({ showVisitorIp: false });
    }
    expect(await patch(writer.caller, { showVisitorIp: true })).toMatchObject({ showVisitorIp: true });
    expect((await audit(acme.owner)).map((e) => [e.actorKind, e.actorId])).toEqual([['api_token', writer.id]]);

    const session = { ...acme.owner, headers: {} };
    const forged = await call(session, 'PATCH', '/api/v1/account', { showVisitorIp: false });
    expect(errorOf(forged).code).toBe('csrf_failed');
    expect((await app.inject({ method: 'PATCH', url: '/api/v1/account', payload: {} })).statusCode).toBe(401);
  });

  it('answers validation_failed for an empty change, unknown fields and values of the wrong type or range', async () => {
    const acme = await account('Acme');
    const bad: object[] = [
      {},
      { plan: 'enterprise' },
      { status: 'terminated' },
      { showVisitorIp: 'yes' },
      { showVisitorIp: 1 },
      { retentionMonths: 0 },
      { retentionMonths: 37 },
      { retentionMonths: 6.5 },
      { retentionMonths: '6' },
      { name: '   ' },
      { name: 'x'.repeat(201) },
      { timeZone: 'Mars/Olympus_Mons' },
      { timeZone: 'CEST+2' },
      { timeZone: '' },
      { timeZone: 1 },
      [],
    ];
    for (const body of bad) {
      const response = await call(acme.owner, 'PATCH', '/api/v1/account', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(response).code, JSON.stringify(body)).toBe('validation_failed');
    }
    expect((await call(acme.owner, 'GET', '/api/v1/account')).json()).toMatchObject({
      name: 'Acme',
      retentionMonths: 12,
      showVisitorIp: false,
      timeZone: 'UTC',
    });
    expect(await audit(acme.owner)).toEqual([]);
  });
});
