import { randomUUID } from 'node:crypto';
import type { ApiTokenDto, OperatorDto, Role, TokenScope } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const DAY_MS = 86_400_000;

describe('HTTP access control', () => {
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
  async function account(name: string): Promise<{ accountId: string; ownerId: string; owner: Caller }> {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return { accountId: created.accountId, ownerId: created.owner.id, owner: await logIn(email) };
  }

  async function addOperator(by: Caller, email: string, role: Role): Promise<OperatorDto> {
    const response = await call(by, 'POST', '/api/v1/operators', {
      email,
      displayName: email.split('@')[0],
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return response.json<OperatorDto>();
  }

  async function addToken(
    by: Caller,
    input: { scope: TokenScope; expiresInDays?: number },
  ): Promise<{ token: ApiTokenDto; secret: string; caller: Caller }> {
    const response = await call(by, 'POST', '/api/v1/api-tokens', { name: 'Integration', ...input });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ token: ApiTokenDto; secret: string }>();
    return { ...body, caller: bearer(body.secret) };
  }

  async function operatorsSeenBy(caller: Caller): Promise<OperatorDto[]> {
    const response = await call(caller, 'GET', '/api/v1/operators');
    expect(response.statusCode).toBe(200);
    return response.json<{ operators: OperatorDto[] }>().operators;
  }

  describe('roles', () => {
    it('does not let an operator add operators or list API tokens', async () => {
      const acme = await account('Acme');
      await addOperator(acme.owner, 'op@acme.test', 'operator');
      const operator = await logIn('op@acme.test');

      const create = await call(operator, 'POST', '/api/v1/operators', {
        email: 'sneaky@acme.test',
        displayName: 'Sneaky',
        password: PASSWORD,
      });
      expect(create.statusCode).toBe(403);
      expect(errorOf(create).code).toBe('forbidden');
      const tokens = await call(operator, 'GET', '/api/v1/api-tokens');
      expect(tokens.statusCode).toBe(403);
      expect(errorOf(tokens).code).toBe('forbidden');
      const token = await call(operator, 'POST', '/api/v1/api-tokens', { name: 'Mine', scope: 'write' });
      expect(token.statusCode).toBe(403);
      const audit = await call(operator, 'GET', '/api/v1/audit-log');
      expect(audit.statusCode).toBe(403);

      expect((await operatorsSeenBy(operator)).map((o) => o.email).sort()).toEqual(['op@acme.test', 'owner@acme.test']);
    });

    it('lets an admin add operators and admins, but not owners', async () => {
      const acme = await account('Acme');
      await addOperator(acme.owner, 'admin@acme.test', 'admin');
      const admin = await logIn('admin@acme.test');

      expect((await addOperator(admin, 'op@acme.test', 'operator')).role).toBe('operator');
      expect((await addOperator(admin, 'admin2@acme.test', 'admin')).role).toBe('admin');
      const owner = await call(admin, 'POST', '/api/v1/operators', {
        email: 'owner2@acme.test',
        displayName: 'Second Owner',
        password: PASSWORD,
        role: 'owner',
      });
      expect(owner.statusCode).toBe(403);
      expect(errorOf(owner).code).toBe('forbidden');
      expect((await operatorsSeenBy(admin)).map((o) => o.email)).not.toContain('owner2@acme.test');
    });

    it("does not let an admin change an owner's role or make anyone owner", async () => {
      const acme = await account('Acme');
      const adminDto = await addOperator(acme.owner, 'admin@acme.test', 'admin');
      const op = await addOperator(acme.owner, 'op@acme.test', 'operator');
      const admin = await logIn('admin@acme.test');

      const demoteOwner = await call(admin, 'PUT', `/api/v1/operators/${acme.ownerId}/role`, { role: 'operator' });
      expect(demoteOwner.statusCode).toBe(403);
      expect(errorOf(demoteOwner).code).toBe('forbidden');
      const promote = await call(admin, 'PUT', `/api/v1/operators/${op.id}/role`, { role: 'owner' });
      expect(promote.statusCode).toBe(403);
      const self = await call(admin, 'PUT', `/api/v1/operators/${adminDto.id}/role`, { role: 'owner' });
      expect(self.statusCode).toBe(403);

      const roles = Object.fromEntries((await operatorsSeenBy(admin)).map((o) => [o.email, o.role]));
      expect(roles).toEqual({ 'owner@acme.test': 'owner', 'admin@acme.test': 'admin', 'op@acme.test': 'operator' });

      const toAdmin = await call(admin, 'PUT', `/api/v1/operators/${op.id}/role`, { role: 'admin' });
      expect(toAdmin.statusCode).toBe(200);
      expect(toAdmin.json<OperatorDto>().role).toBe('admin');
    });

    it('never demotes the last owner of an account', async () => {
      const acme = await account('Acme');
      const demote = await call(acme.owner, 'PUT', `/api/v1/operators/${acme.ownerId}/role`, { role: 'admin' });
      expect(demote.statusCode).toBe(409);
      expect(errorOf(demote).code).toBe('conflict');
      expect((await operatorsSeenBy(acme.owner))[0]?.role).toBe('owner');

      const second = await addOperator(acme.owner, 'second@acme.test', 'owner');
      expect(second.role).toBe('owner');
      const demoteNow = await call(acme.owner, 'PUT', `/api/v1/operators/${acme.ownerId}/role`, { role: 'admin' });
      expect(demoteNow.statusCode).toBe(200);
      const demoteSecond = await call(await logIn('second@acme.test'), 'PUT', `/api/v1/operators/${second.id}/role`, {
        role: 'admin',
      });
      expect(demoteSecond.statusCode).toBe(409);
    });

    it('takes a demoted role away at once, in the session that is already open', async () => {
      const acme = await account('Acme');
      const adminDto = await addOperator(acme.owner, 'admin@acme.test', 'admin');
      const admin = await logIn('admin@acme.test');
      expect((await call(admin, 'GET', '/api/v1/api-tokens')).statusCode).toBe(200);
      const demote = await call(acme.owner, 'PUT', `/api/v1/operators/${adminDto.id}/role`, { role: 'operator' });
      expect(demote.statusCode).toBe(200);
      expect((await call(admin, 'GET', '/api/v1/api-tokens')).statusCode).toBe(403);
    });
  });

  describe('API tokens', () => {
    it('are created by a logged-in admin only, never by another token', async () => {
      const acme = await account('Acme');
      const write = await addToken(acme.owner, { scope: 'write' });
      expect(write.secret).toMatch(/^plt_/);
      expect(write.token).toMatchObject({ name: 'Integration', scope: 'write', expiresAt: null, lastUsedAt: null });

      const minted = await call(write.caller, 'POST', '/api/v1/api-tokens', { name: 'Child', scope: 'write' });
      expect(minted.statusCode).toBe(403);
      expect(errorOf(minted).code).toBe('forbidden');
      const listed = await call(acme.owner, 'GET', '/api/v1/api-tokens');
      expect(listed.json<{ tokens: ApiTokenDto[] }>().tokens.map((tk) => tk.id)).toEqual([write.token.id]);
      expect(listed.body).not.toContain(write.secret);
    });

    it("let a bearer token list its account's operators", async () => {
      const acme = await account('Acme');
      await addOperator(acme.owner, 'op@acme.test', 'operator');
      const read = await addToken(acme.owner, { scope: 'read' });
      expect((await operatorsSeenBy(read.caller)).map((o) => o.email).sort()).toEqual([
        'op@acme.test',
        'owner@acme.test',
      ]);
      const tokens = await call(acme.owner, 'GET', '/api/v1/api-tokens');
      expect(tokens.json<{ tokens: ApiTokenDto[] }>().tokens[0]?.lastUsedAt).toBe(t.clock.now());
    });

    it('keep a read-scope token from writing', async () => {
      const acme = await account('Acme');
      const read = await addToken(acme.owner, { scope: 'read' });
      const create = await call(read.caller, 'POST', '/api/v1/operators', {
        email: 'op@acme.test',
        displayName: 'Op',
        password: PASSWORD,
      });
      expect(create.statusCode).toBe(403);
      expect(errorOf(create).code).toBe('forbidden');
      const revoke = await call(read.caller, 'DELETE', `/api/v1/api-tokens/${read.token.id}`);
      expect(revoke.statusCode).toBe(403);
      expect((await operatorsSeenBy(read.caller)).map((o) => o.email)).toEqual(['owner@acme.test']);

      const write = await addToken(acme.owner, { scope: 'write' });
      expect(
        (
          await call(write.caller, 'POST', '/api/v1/operators', {
            email: 'op@acme.test',
            displayName: 'Op',
            password: PASSWORD,
          })
        ).statusCode,
      ).toBe(201);
    });

    it("act with their creator's current role, so a demoted admin's token is demoted too", async () => {
      const acme = await account('Acme');
      const adminDto = await addOperator(acme.owner, 'admin@acme.test', 'admin');
      const admin = await logIn('admin@acme.test');
      const write = await addToken(admin, { scope: 'write' });
      expect((await call(write.caller, 'GET', '/api/v1/api-tokens')).statusCode).toBe(200);
      await call(acme.owner, 'PUT', `/api/v1/operators/${adminDto.id}/role`, { role: 'operator' });
      const listed = await call(write.caller, 'GET', '/api/v1/api-tokens');
      expect(listed.statusCode).toBe(403);
      const create = await call(write.caller, 'POST', '/api/v1/operators', {
        email: 'new@acme.test',
        displayName: 'New',
        password: PASSWORD,
      });
      expect(create.statusCode).toBe(403);
    });

    it('add operators but never admins or owners, so a token cannot make itself a login', async () => {
      const acme = await account('Acme');
      const write = await addToken(acme.owner, { scope: 'write' });
      const admin = await call(write.caller, 'POST', '/api/v1/operators', {
        email: 'sneaky@acme.test',
        displayName: 'Sneaky',
        password: PASSWORD,
        role: 'admin',
      });
      expect(admin.statusCode).toBe(403);
      expect(errorOf(admin).code).toBe('forbidden');
      const operator = await call(write.caller, 'POST', '/api/v1/operators', {
        email: 'agent@acme.test',
        displayName: 'Agent',
        password: PASSWORD,
        role: 'operator',
      });
      expect(operator.statusCode).toBe(201);
    });

    it('never act as owner, even when an owner created them', async () => {
      const acme = await account('Acme');
      const adminDto = await addOperator(acme.owner, 'admin@acme.test', 'admin');
      const write = await addToken(acme.owner, { scope: 'write' });
      const promote = await call(write.caller, 'PUT', `/api/v1/operators/${adminDto.id}/role`, { role: 'owner' });
      expect(promote.statusCode).toBe(403);
      expect(errorOf(promote).code).toBe('forbidden');
    });

    it('accept the bearer scheme name in any case', async () => {
      const acme = await account('Acme');
      const read = await addToken(acme.owner, { scope: 'read' });
      const lower = await call({ headers: { authorization: `bearer ${read.secret}` } }, 'GET', '/api/v1/operators');
      expect(lower.statusCode).toBe(200);
    });

    it('refuse a revoked token with 401', async () => {
      const acme = await account('Acme');
      const read = await addToken(acme.owner, { scope: 'read' });
      const revoke = await call(acme.owner, 'DELETE', `/api/v1/api-tokens/${read.token.id}`);
      expect(revoke.statusCode).toBe(204);
      const after = await call(read.caller, 'GET', '/api/v1/operators');
      expect(after.statusCode).toBe(401);
      expect(errorOf(after).code).toBe('unauthenticated');
      const listed = await call(acme.owner, 'GET', '/api/v1/api-tokens');
      expect(listed.json<{ tokens: ApiTokenDto[] }>().tokens).toEqual([]);
      expect((await call(acme.owner, 'DELETE', `/api/v1/api-tokens/${read.token.id}`)).statusCode).toBe(404);
    });

    it('refuse an expired token with 401 session_expired', async () => {
      const acme = await account('Acme');
      const read = await addToken(acme.owner, { scope: 'read', expiresInDays: 2 });
      expect(read.token.expiresAt).toBe(t.clock.now() + 2 * DAY_MS);
      t.clock.advance(2 * DAY_MS - 1);
      expect((await call(read.caller, 'GET', '/api/v1/operators')).statusCode).toBe(200);
      t.clock.advance(1);
      const expired = await call(read.caller, 'GET', '/api/v1/operators');
      expect(expired.statusCode).toBe(401);
      expect(errorOf(expired).code).toBe('session_expired');
    });

    it.each([
      ['Basic dXNlcjpwYXNz'],
      ['Bearer'],
      ['Bearer '],
      ['Bearer two parts'],
      ['plt_without_scheme'],
      ['Bearer plt_unknown'],
    ])('refuse the Authorization header %j with 401, even beside a valid session cookie', async (authorization) => {
      const acme = await account('Acme');
      const response = await app.inject({
        method: 'GET',
        url: '/api/v1/operators',
        headers: { authorization },
        cookies: acme.owner.cookies!,
      });
      expect(response.statusCode).toBe(401);
      expect(errorOf(response).code).toBe('unauthenticated');
    });
  });

  describe('tenancy', () => {
    it("keeps one account's owner away from another account's operators and tokens", async () => {
      const a = await account('Alpha');
      const b = await account('Beta');
      const bOperator = await addOperator(b.owner, 'op@beta.test', 'operator');
      const bToken = await addToken(b.owner, { scope: 'read' });
      const aToken = await addToken(a.owner, { scope: 'write' });

      for (const caller of [a.owner, aToken.caller]) {
        const role = await call(caller, 'PUT', `/api/v1/operators/${bOperator.id}/role`, { role: 'admin' });
        expect(role.statusCode).toBe(404);
        expect(errorOf(role).code).toBe('not_found');
        const ownerRole = await call(caller, 'PUT', `/api/v1/operators/${b.ownerId}/role`, { role: 'operator' });
        expect(ownerRole.statusCode).toBe(404);
      }
      const revoke = await call(a.owner, 'DELETE', `/api/v1/api-tokens/${bToken.token.id}`);
      expect(revoke.statusCode).toBe(404);
      expect(errorOf(revoke).code).toBe('not_found');
      // An unknown id answers the same as another account's id, so ids cannot be probed.
      const unknown = await call(a.owner, 'DELETE', `/api/v1/api-tokens/${randomUUID()}`);
      expect(errorOf(unknown).message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(
        errorOf(revoke).message.replace(/[0-9a-f-]{36}/, 'ID'),
      );

      for (const caller of [a.owner, aToken.caller]) {
        expect((await operatorsSeenBy(caller)).map((o) => o.email)).toEqual(['owner@alpha.test']);
      }
      const aTokens = await call(a.owner, 'GET', '/api/v1/api-tokens');
      expect(aTokens.json<{ tokens: ApiTokenDto[] }>().tokens.map((tk) => tk.id)).toEqual([aToken.token.id]);
      const aAudit = await call(a.owner, 'GET', '/api/v1/audit-log');
      expect(aAudit.body).not.toContain(bOperator.id);
      expect(aAudit.body).not.toContain(bToken.token.id);

      const bRoles = Object.fromEntries((await operatorsSeenBy(bToken.caller)).map((o) => [o.email, o.role]));
      expect(bRoles).toEqual({ 'owner@beta.test': 'owner', 'op@beta.test': 'operator' });
      const bTokens = await call(b.owner, 'GET', '/api/v1/api-tokens');
      expect(bTokens.json<{ tokens: ApiTokenDto[] }>().tokens.map((tk) => tk.id)).toEqual([bToken.token.id]);
    });

    it('shows every caller the account it belongs to', async () => {
      const a = await account('Alpha');
      const b = await account('Beta');
      const aToken = await addToken(a.owner, { scope: 'read' });
      const mine = await call(aToken.caller, 'GET', '/api/v1/account');
      expect(mine.json<{ id: string }>().id).toBe(a.accountId);
      const sessionB = await call(b.owner, 'GET', '/api/v1/account');
      expect(sessionB.json<{ id: string }>().id).toBe(b.accountId);
    });
  });
});
