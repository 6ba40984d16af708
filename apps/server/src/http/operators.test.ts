import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OperatorDto, OperatorServerFrame, Role, SessionDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { findConversationState } from '../storage/conversations-repository.js';
import { getPresence } from '../storage/presence-repository.js';
import { seedAnotherVisitor } from '../test-support/fixtures.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';

interface Account {
  accountId: string;
  widgetId: string;
  ownerId: string;
  owner: Caller;
}

describe(`operator administration over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  const sockets: SocketClient<OperatorServerFrame>[] = [];
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
      ownerId: created.owner.id,
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  }

  /** A colleague of the account with `role`, logged in. */
  async function colleague(of: Account, email: string, role: Role): Promise<{ id: string; caller: Caller }> {
    // The operator list is oldest first.
    t.clock.advance(1000);
    const response = await call(of.owner, 'POST', '/api/v1/operators', {
      email,
      displayName: email.split('@')[0],
      password: PASSWORD,
      role,
    });
    expect(response.statusCode).toBe(201);
    return { id: response.json<OperatorDto>().id, caller: await logInAs(app, { email, password: PASSWORD }) };
  }

  async function token(by: Caller, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(by, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  async function operators(caller: Caller): Promise<OperatorDto[]> {
    const response = await call(caller, 'GET', '/api/v1/operators');
    expect(response.statusCode).toBe(200);
    return response.json<{ operators: OperatorDto[] }>().operators;
  }

  async function socketOf(caller: Caller): Promise<SocketClient<OperatorServerFrame>> {
    const socket = await SocketClient.open<OperatorServerFrame>(`${base}/ws/v1/operator`, {
      headers: { cookie: `plauder_session=${caller.cookies?.plauder_session ?? ''}` },
    });
    sockets.push(socket);
    await socket.next('welcome');
    return socket;
  }

  describe('capacity', () => {
    it('lets operators set their own capacity and admins anyone’s, shown in the operator list', async () => {
      const acme = await account('Acme');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      expect((await operators(acme.owner)).map((o) => o.capacity)).toEqual([5, 5]);

      const own = await call(agent.caller, 'PUT', `/api/v1/operators/${agent.id}/capacity`, { capacity: 2 });
      expect(own.statusCode, own.body).toBe(200);
      expect(own.json<OperatorDto>()).toMatchObject({ id: agent.id, capacity: 2, email: 'agent@acme.test' });
      const byOwner = await call(acme.owner, 'PUT', `/api/v1/operators/${agent.id}/capacity`, { capacity: 0 });
      expect(byOwner.json<OperatorDto>().capacity).toBe(0);
      const byToken = await call(
        await token(acme.owner, 'write'),
        'PUT',
        `/api/v1/operators/${acme.ownerId}/capacity`,
        {
          capacity: 100,
        },
      );
      expect(byToken.statusCode).toBe(200);

      expect((await operators(agent.caller)).map((o) => [o.id, o.capacity])).toEqual([
        [acme.ownerId, 100],
        [agent.id, 0],
      ]);
      const presence = await getPresence(t.ctx.database.db, { accountId: acme.accountId, operatorId: agent.id });
      expect(presence).toEqual({ status: 'online', capacity: 0 });
      const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
      expect(entry).toMatchObject({ action: 'operator.capacity-changed', targetIds: [acme.ownerId] });
    });

    it('refuses others’ capacity to operators and read tokens, bad values, and unknown or foreign ids', async () => {
      const acme = await account('Acme');
      const beta = await account('Beta');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      const url = `/api/v1/operators/${acme.ownerId}/capacity`;
      for (const caller of [agent.caller, await token(acme.owner, 'read')]) {
        const response = await call(caller, 'PUT', url, { capacity: 1 });
        expect(response.statusCode).toBe(403);
        expect(errorOf(response).code).toBe('forbidden');
      }
      for (const body of [{ capacity: 101 }, { capacity: -1 }, { capacity: 1.5 }, { capacity: '3' }, {}]) {
        const response = await call(acme.owner, 'PUT', url, body);
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
        expect(errorOf(response).code).toBe('validation_failed');
      }
      for (const id of [beta.ownerId, randomUUID()]) {
        const response = await call(acme.owner, 'PUT', `/api/v1/operators/${id}/capacity`, { capacity: 1 });
        expect(response.statusCode).toBe(404);
        expect(errorOf(response).code).toBe('not_found');
      }
      expect((await operators(beta.owner))[0]?.capacity).toBe(5);
    });

    it('routes a waiting chat to an operator at once when their capacity is raised', async () => {
      const acme = await account('Acme');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      await call(acme.owner, 'PUT', `/api/v1/operators/${acme.ownerId}/capacity`, { capacity: 0 });
      await call(agent.caller, 'PUT', `/api/v1/operators/${agent.id}/capacity`, { capacity: 0 });
      const socket = await socketOf(agent.caller);
      const visitor = await seedAnotherVisitor(t.ctx, { accountId: acme.accountId, widgetId: acme.widgetId });
      const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
      const where = { accountId: acme.accountId, conversationId };
      expect(await findConversationState(t.ctx.database.db, where)).toMatchObject({ status: 'waiting' });

      const response = await call(agent.caller, 'PUT', `/api/v1/operators/${agent.id}/capacity`, { capacity: 1 });
      expect(response.statusCode).toBe(200);
      expect(await findConversationState(t.ctx.database.db, where)).toMatchObject({
        status: 'open',
        operatorId: agent.id,
      });
      expect(await socket.next('inbox.assigned')).toMatchObject({ conversationId, operatorId: agent.id });
    });
  });

  describe('role', () => {
    it('lets API tokens change operators only: never make an admin or owner, nor change one', async () => {
      const acme = await account('Acme');
      const admin = await colleague(acme, 'admin@acme.test', 'admin');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      const writeToken = await token(admin.caller, 'write');
      const refusals: [string, Role][] = [
        [agent.id, 'admin'],
        [agent.id, 'owner'],
        [admin.id, 'operator'],
        [admin.id, 'admin'],
        [acme.ownerId, 'operator'],
      ];
      for (const [id, role] of refusals) {
        const response = await call(writeToken, 'PUT', `/api/v1/operators/${id}/role`, { role });
        expect(response.statusCode, `${id} ${role}`).toBe(403);
        expect(errorOf(response).code).toBe('forbidden');
      }
      expect((await operators(acme.owner)).map((o) => [o.id, o.role])).toEqual([
        [acme.ownerId, 'owner'],
        [admin.id, 'admin'],
        [agent.id, 'operator'],
      ]);
      // Operator to operator changes nothing, and is allowed.
      const same = await call(writeToken, 'PUT', `/api/v1/operators/${agent.id}/role`, { role: 'operator' });
      expect(same.statusCode).toBe(200);
      // A person with the same role as the token's creator may.
      const promoted = await call(admin.caller, 'PUT', `/api/v1/operators/${agent.id}/role`, { role: 'admin' });
      expect(promoted.json<OperatorDto>().role).toBe('admin');
    });
  });

  describe('removal', () => {
    it('answers 204 when the session check after a committed removal fails', async () => {
      const acme = await account('Acme');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      const spy = vi.spyOn(app.gateway, 'checkSessions').mockRejectedValueOnce(new Error('bus unreachable'));
      try {
        const response = await call(acme.owner, 'DELETE', `/api/v1/operators/${agent.id}`);
        expect(response.statusCode, response.body).toBe(204);
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
      expect((await operators(acme.owner)).map((o) => o.id)).toEqual([acme.ownerId]);
      expect((await call(agent.caller, 'GET', '/api/v1/auth/session')).statusCode).toBe(401);
    });

    it('ends the sessions, sockets and tokens of a removed operator and hands their chats back to the queue', async () => {
      const acme = await account('Acme');
      const lead = await colleague(acme, 'lead@acme.test', 'admin');
      const leadToken = await token(lead.caller, 'write');
      const socket = await socketOf(lead.caller);
      const visitor = await seedAnotherVisitor(t.ctx, { accountId: acme.accountId, widgetId: acme.widgetId });
      const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
      const where = { accountId: acme.accountId, conversationId };
      expect(await findConversationState(t.ctx.database.db, where)).toMatchObject({ operatorId: lead.id });

      const response = await call(acme.owner, 'DELETE', `/api/v1/operators/${lead.id}`);
      expect(response.statusCode, response.body).toBe(204);

      expect(await socket.closed()).toBe(4001);
      expect(await findConversationState(t.ctx.database.db, where)).toMatchObject({
        status: 'waiting',
        operatorId: null,
      });
      const session = await call(lead.caller, 'GET', '/api/v1/auth/session');
      expect(session.statusCode).toBe(401);
      const withToken = await call(leadToken, 'GET', '/api/v1/operators');
      expect(withToken.statusCode).toBe(401);
      const tokens = await t.ctx.database.db
        .selectFrom('api_tokens')
        .select('revoked_at')
        .where('created_by', '=', lead.id)
        .execute();
      expect(tokens).toEqual([{ revoked_at: t.clock.now() }]);
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'lead@acme.test', password: PASSWORD },
      });
      expect(login.statusCode).toBe(401);
      expect((await operators(acme.owner)).map((o) => o.id)).toEqual([acme.ownerId]);
      expect(await getPresence(t.ctx.database.db, { accountId: acme.accountId, operatorId: lead.id })).toMatchObject({
        status: 'offline',
      });
      // The row stays, with the sealed name, for the history of the chats they answered.
      const row = await t.ctx.database.db
        .selectFrom('operators')
        .select(['disabled_at', 'email_index', 'display_name_sealed'])
        .where('id', '=', lead.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ disabled_at: t.clock.now(), email_index: `removed:${lead.id}` });
      const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
      expect(entry).toMatchObject({ action: 'operator.removed', targetIds: [lead.id], actorId: acme.ownerId });

      const again = await call(acme.owner, 'DELETE', `/api/v1/operators/${lead.id}`);
      expect(again.statusCode).toBe(404);
      const capacity = await call(acme.owner, 'PUT', `/api/v1/operators/${lead.id}/capacity`, { capacity: 1 });
      expect(capacity.statusCode).toBe(404);
      const role = await call(acme.owner, 'PUT', `/api/v1/operators/${lead.id}/role`, { role: 'operator' });
      expect(role.statusCode).toBe(404);
    });

    it('lets the email of a removed operator be used again', async () => {
      const acme = await account('Acme');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      expect((await call(acme.owner, 'DELETE', `/api/v1/operators/${agent.id}`)).statusCode).toBe(204);
      const again = await colleague(acme, 'agent@acme.test', 'operator');
      expect(again.id).not.toBe(agent.id);
      const session = await call(again.caller, 'GET', '/api/v1/auth/session');
      expect(session.json<SessionDto>().operator).toMatchObject({ id: again.id, email: 'agent@acme.test' });
    });

    it('keeps owners to owners, nobody removes themselves, and tokens remove operators only', async () => {
      const acme = await account('Acme');
      const beta = await account('Beta');
      const admin = await colleague(acme, 'admin@acme.test', 'admin');
      const agent = await colleague(acme, 'agent@acme.test', 'operator');
      const other = await colleague(acme, 'other@acme.test', 'admin');
      const adminToken = await token(admin.caller, 'write');
      const refusals: [Caller, string][] = [
        [admin.caller, acme.ownerId],
        [admin.caller, admin.id],
        [acme.owner, acme.ownerId],
        [agent.caller, other.id],
        [adminToken, other.id],
        [await token(acme.owner, 'read'), agent.id],
      ];
      for (const [caller, id] of refusals) {
        const response = await call(caller, 'DELETE', `/api/v1/operators/${id}`);
        expect(response.statusCode, id).toBe(403);
        expect(errorOf(response).code).toBe('forbidden');
      }
      for (const id of [beta.ownerId, randomUUID()]) {
        const response = await call(acme.owner, 'DELETE', `/api/v1/operators/${id}`);
        expect(response.statusCode).toBe(404);
      }
      const malformed = await call(acme.owner, 'DELETE', '/api/v1/operators/42');
      expect(errorOf(malformed).code).toBe('validation_failed');
      expect((await operators(acme.owner)).map((o) => o.id)).toEqual([acme.ownerId, admin.id, agent.id, other.id]);

      expect((await call(adminToken, 'DELETE', `/api/v1/operators/${agent.id}`)).statusCode).toBe(204);
      const coOwner = await colleague(acme, 'co@acme.test', 'owner');
      expect((await call(acme.owner, 'DELETE', `/api/v1/operators/${coOwner.id}`)).statusCode).toBe(204);
      expect((await operators(acme.owner)).map((o) => o.id)).toEqual([acme.ownerId, admin.id, other.id]);
    });
  });
});
