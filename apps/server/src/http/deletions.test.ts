import { randomUUID } from 'node:crypto';
import type { DeletionPreviewDto, JobDto, Role } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { seedSceneConversation, type SceneAccount } from '../domain/erasure/test-scene.js';
import { deleteConversationsJob } from '../jobs/delete-conversations.js';
import { runJobsNow } from '../jobs/worker.js';
import { listAuditEntries } from '../storage/audit-repository.js';
import { insertContact } from '../storage/contacts-repository.js';
import { bearer, callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';
import { allConversationIds, allRollups } from '../test-support/table-snapshots.js';

const PASSWORD = 'correct horse battery';

interface Account extends SceneAccount {
  owner: Caller;
}

describe(`deletions over HTTP (${testDialect})`, () => {
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
      ownerId: created.owner.id,
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
    expect(response.statusCode, response.body).toBe(201);
    return logInAs(app, { email, password: PASSWORD });
  }

  async function token(of: Account, scope: 'read' | 'write'): Promise<Caller> {
    const response = await call(of.owner, 'POST', '/api/v1/api-tokens', { name: 'Integration', scope });
    expect(response.statusCode, response.body).toBe(201);
    return bearer(response.json<{ secret: string }>().secret);
  }

  const rollups = () => allRollups(t.ctx.database.db);
  const conversationIds = () => allConversationIds(t.ctx.database.db);

  it('counts in a dry run, starts a job that erases what it counted, and audits the start', async () => {
    const acme = await account('Acme');
    const rated = await seedSceneConversation(t.ctx, { account: acme, rating: 1, messages: 3 });
    const kept = await seedSceneConversation(t.ctx, { account: acme, rating: 5 });
    t.clock.advance(1000);
    const filter = { rating: 1 };

    const preview = await call(acme.owner, 'POST', '/api/v1/deletions/preview', { filter });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json<DeletionPreviewDto>()).toEqual({ conversations: 1, messages: 3 });
    expect(await conversationIds()).toHaveLength(2);

    const started = await call(acme.owner, 'POST', '/api/v1/deletions', { filter, confirm: true });
    expect(started.statusCode, started.body).toBe(202);
    const job = started.json<JobDto>();
    expect(job).toMatchObject({ name: 'delete-conversations', status: 'queued', done: 0, total: 1 });
    const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({ action: 'deletion.started', actorKind: 'operator', actorId: acme.ownerId });
    expect(entry?.targetIds).toEqual([job.id]);

    await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });
    const followed = await call(acme.owner, 'GET', `/api/v1/jobs/${job.id}`);
    expect(followed.statusCode, followed.body).toBe(200);
    expect(followed.json<JobDto>()).toMatchObject({
      status: 'done',
      done: 1,
      total: 1,
      result: { conversations: 1, messages: 3, attachments: 0, contacts: 0 },
    });
    expect(await conversationIds()).toEqual([kept.conversationId]);
    expect(rated.conversationId).not.toBe(kept.conversationId);
  });

  it('deletes everything of a widget with DELETE /widgets/:id/conversations, leaving the rollups and the widget', async () => {
    const acme = await account('Acme');
    await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada', close: true });
    await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId, close: true });
    const before = await rollups();
    t.clock.advance(1000);

    const started = await call(acme.owner, 'DELETE', `/api/v1/widgets/${acme.widgetId}/conversations`);
    expect(started.statusCode, started.body).toBe(202);
    expect(started.json<JobDto>()).toMatchObject({ name: 'delete-conversations', total: 2 });
    const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
    expect(entry?.targetIds).toEqual([started.json<JobDto>().id, acme.widgetId]);
    await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });

    expect(await conversationIds()).toEqual([]);
    expect(await rollups()).toEqual(before);
    expect((await call(acme.owner, 'GET', `/api/v1/widgets/${acme.widgetId}`)).statusCode).toBe(200);
    const again = await call(acme.owner, 'DELETE', `/api/v1/widgets/${acme.widgetId}/conversations`);
    expect(again.statusCode).toBe(422);
    expect(errorOf(again).code).toBe('nothing_to_delete');
  });

  it('lets admins and write tokens delete, read-only tokens count, and refuses operators', async () => {
    const acme = await account('Acme');
    await seedSceneConversation(t.ctx, { account: acme, close: true });
    t.clock.advance(1000);
    const body = { filter: { all: true } };
    const agent = await colleague(acme, 'agent@acme.test', 'operator');
    const reader = await token(acme, 'read');
    for (const caller of [agent, reader]) {
      const preview = await call(caller, 'POST', '/api/v1/deletions/preview', body);
      // A count changes nothing: a read-only token (of an admin) may ask it, as it may search.
      expect(preview.statusCode, preview.body).toBe(caller === reader ? 200 : 403);
      const response = await call(caller, 'POST', '/api/v1/deletions', { ...body, confirm: true });
      expect(response.statusCode, response.body).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
      expect((await call(caller, 'DELETE', `/api/v1/widgets/${acme.widgetId}/conversations`)).statusCode).toBe(403);
    }
    const admin = await colleague(acme, 'admin@acme.test', 'admin');
    expect((await call(admin, 'POST', '/api/v1/deletions/preview', body)).json<DeletionPreviewDto>()).toEqual({
      conversations: 1,
      messages: 2,
    });
    const started = await call(await token(acme, 'write'), 'POST', '/api/v1/deletions', { ...body, confirm: true });
    expect(started.statusCode, started.body).toBe(202);
    const [entry] = await listAuditEntries(t.ctx.database.db, { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({ action: 'deletion.started', actorKind: 'api_token' });
  });

  it('refuses a filter without criterion, all beside a criterion, a reversed range and a missing confirm', async () => {
    const acme = await account('Acme');
    await seedSceneConversation(t.ctx, { account: acme, close: true });
    t.clock.advance(1000);
    const now = t.clock.now();
    for (const filter of [
      {},
      { all: true, widgetId: acme.widgetId },
      { createdFrom: now, createdTo: now - 1 },
      { createdFrom: now, createdTo: now },
      { all: false },
      { status: 'archived' },
      { rating: 6 },
      { widgetId: 'not-a-uuid' },
      { colour: 'red' },
    ]) {
      for (const [url, payload] of [
        ['/api/v1/deletions/preview', { filter }],
        ['/api/v1/deletions', { filter, confirm: true }],
      ] as const) {
        const response = await call(acme.owner, 'POST', url, payload);
        expect(response.statusCode, `${url} ${JSON.stringify(filter)}`).toBe(400);
        expect(errorOf(response).code).toBe('validation_failed');
      }
    }
    for (const payload of [{ filter: { all: true } }, { filter: { all: true }, confirm: false }, {}]) {
      const response = await call(acme.owner, 'POST', '/api/v1/deletions', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
    const empty = await call(acme.owner, 'POST', '/api/v1/deletions/preview', { filter: {} });
    expect(errorOf(empty).message).toMatch(/all: true/);
    expect(await conversationIds()).toHaveLength(1);
    expect(await t.ctx.database.db.selectFrom('jobs').select('id').execute()).toEqual([]);
  });

  it("answers nothing_to_delete for a filter that matches nothing, and not_found for another account's or unknown ids", async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    const theirs = await seedSceneConversation(t.ctx, { account: beta, contactName: 'Bea', close: true });
    await seedSceneConversation(t.ctx, { account: acme, rating: 3 });
    t.clock.advance(1000);

    const nothing = await call(acme.owner, 'POST', '/api/v1/deletions', { filter: { rating: 1 }, confirm: true });
    expect(nothing.statusCode).toBe(422);
    expect(errorOf(nothing).code).toBe('nothing_to_delete');
    expect(
      (
        await call(acme.owner, 'POST', '/api/v1/deletions/preview', { filter: { rating: 1 } })
      ).json<DeletionPreviewDto>(),
    ).toEqual({ conversations: 0, messages: 0 });

    const strangers = [
      { widgetId: beta.widgetId },
      { operatorId: beta.ownerId },
      { contactId: theirs.contactId ?? '' },
      { widgetId: randomUUID() },
      { operatorId: randomUUID() },
      { contactId: randomUUID() },
    ];
    for (const filter of strangers) {
      for (const [url, payload] of [
        ['/api/v1/deletions/preview', { filter }],
        ['/api/v1/deletions', { filter, confirm: true }],
      ] as const) {
        const response = await call(acme.owner, 'POST', url, payload);
        expect(response.statusCode, `${url} ${JSON.stringify(filter)}`).toBe(404);
        expect(errorOf(response).code).toBe('not_found');
      }
    }
    const widget = await call(acme.owner, 'DELETE', `/api/v1/widgets/${beta.widgetId}/conversations`);
    expect(widget.statusCode).toBe(404);
    const ownContact = await insertContact(t.ctx.store, { accountId: acme.accountId, name: 'Al', now: t.clock.now() });
    const unused = await call(acme.owner, 'POST', '/api/v1/deletions', {
      filter: { contactId: ownContact },
      confirm: true,
    });
    expect(errorOf(unused).code).toBe('nothing_to_delete');
    expect(await t.ctx.database.db.selectFrom('jobs').select('id').execute()).toEqual([]);
    expect(await conversationIds()).toContain(theirs.conversationId);
  });
});
