import { randomUUID } from 'node:crypto';
import type { JobDto, ReportDto, Role, WidgetDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { addSceneWidget, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { eraseConversation } from '../domain/conversations/erase-conversation.js';
import { rateConversation } from '../domain/conversations/rate-conversation.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import type { Principal } from '../domain/principal.js';
import { sweepRetention } from '../domain/retention/sweep-retention.js';
import { deleteConversationsJob } from '../jobs/delete-conversations.js';
import { deleteWidgetJob } from '../jobs/delete-widget.js';
import { runJobsNow } from '../jobs/worker.js';
import { assignConversationRow } from '../storage/routing-repository.js';
import { insertVisitor } from '../storage/widgets-repository.js';
import { callAs, errorOf, logInAs, type Caller } from '../test-support/http-callers.js';
import { allConversationIds } from '../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface Account {
  email: string;
  accountId: string;
  widgetId: string;
  ownerId: string;
  owner: Caller;
}

describe(`reports over HTTP (${testDialect})`, () => {
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

  const get = (caller: Caller, url: string): Promise<LightMyRequestResponse> =>
    callAs(app, caller, { method: 'GET', url });
  const moveTo = (iso: string) => t.clock.advance(Date.parse(iso) - t.clock.now());

  async function account(name: string): Promise<Account> {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return {
      email,
      accountId: created.accountId,
      widgetId: created.widget.id,
      ownerId: created.owner.id,
      owner: await logInAs(app, { email, password: PASSWORD }),
    };
  }

  async function colleague(of: Account, email: string, role: Role): Promise<{ id: string; caller: Caller }> {
    const response = await callAs(app, of.owner, {
      method: 'POST',
      url: '/api/v1/operators',
      payload: { email, displayName: email.split('@')[0], password: PASSWORD, role },
    });
    expect(response.statusCode, response.body).toBe(201);
    return { id: response.json<{ id: string }>().id, caller: await logInAs(app, { email, password: PASSWORD }) };
  }

  /**
   * A conversation started now: `answerAfterMs` later the operator answers (assigned first), then
   * `closeAfterMs` after the start it is closed, and then rated. The clock ends at the close.
   */
  async function chat(
    of: Account,
    input: {
      operatorId?: string;
      answerAfterMs?: number;
      closeAfterMs?: number;
      rating?: number;
      visitorMessages?: number;
    },
  ): Promise<string> {
    const { accountId, widgetId } = of;
    const start = t.clock.now();
    const visitorId = await insertVisitor(t.ctx.database.db, { accountId, widgetId, now: start });
    const visitor = { accountId, widgetId, visitorId, expiresAt: start + 24 * 60 * MINUTE };
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const author = { kind: 'visitor' as const, accountId, visitorId };
    for (let i = 0; i < (input.visitorMessages ?? 1); i++) {
      await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'Where is my order?' });
    }
    if (input.operatorId !== undefined) {
      const where = { accountId, conversationId, operatorId: input.operatorId, from: 'waiting' as const, now: start };
      await assignConversationRow(t.ctx.database.db, where);
    }
    if (input.answerAfterMs !== undefined && input.operatorId !== undefined) {
      t.clock.advance(input.answerAfterMs);
      await sendMessage(t.ctx, {
        author: { kind: 'operator', accountId, operatorId: input.operatorId },
        conversationId,
        clientMessageId: randomUUID(),
        body: 'It ships today',
      });
    }
    if (input.closeAfterMs !== undefined) {
      t.clock.advance(start + input.closeAfterMs - t.clock.now());
      await closeConversation(t.ctx, { by: author, conversationId });
    }
    if (input.rating !== undefined)
      await rateConversation(t.ctx, { visitor: author, conversationId, rating: input.rating });
    return conversationId;
  }

  /** The report as the account's owner sees it, logged in anew: the clock may have moved past the session. */
  async function report(of: Account, query: string): Promise<ReportDto> {
    const caller = await logInAs(app, { email: of.email, password: PASSWORD });
    const response = await get(caller, `/api/v1/reports?${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<ReportDto>();
  }

  it("counts a period's chats on the days and hours of the account's time zone, with the period before and each operator", async () => {
    const acme = await account('Acme');
    const agent = await colleague(acme, 'agent@acme.test', 'admin');
    await callAs(app, acme.owner, { method: 'PATCH', url: '/api/v1/account', payload: { timeZone: 'Europe/Berlin' } });

    // The period before: Wednesday 14 January, a chat nobody answered, closed after a minute.
    moveTo('2026-01-14T12:00:00Z');
    await chat(acme, { closeAfterMs: MINUTE });
    // Thursday 15 January, 13:00 in Berlin: answered by the owner after 12 s, 10 minutes, rated 5.
    moveTo('2026-01-15T12:00:00Z');
    await chat(acme, {
      operatorId: acme.ownerId,
      answerAfterMs: 12 * SECOND,
      closeAfterMs: 10 * MINUTE,
      rating: 5,
      visitorMessages: 2,
    });
    // 23:30 UTC is 00:30 on Friday in Berlin: nobody answers, closed after 5 minutes (missed).
    moveTo('2026-01-15T23:30:00Z');
    await chat(acme, { closeAfterMs: 5 * MINUTE });
    // Friday, 11:00 in Berlin: the agent answers after 100 s, 30 minutes, rated 3.
    moveTo('2026-01-16T10:00:00Z');
    await chat(acme, { operatorId: agent.id, answerAfterMs: 100 * SECOND, closeAfterMs: 30 * MINUTE, rating: 3 });

    const found = await report(acme, 'from=2026-01-15&to=2026-01-16');
    expect(found).toMatchObject({
      timeZone: 'Europe/Berlin',
      from: '2026-01-15',
      to: '2026-01-16',
      previous: { from: '2026-01-13', to: '2026-01-14' },
      widgetId: null,
      operatorId: null,
    });
    expect(found.totals).toEqual({
      conversations: { total: 3, answered: 2, missed: 1, offline: 0, closed: 3 },
      // Medians from the buckets: 12 s counts in (10 s, 15 s], 100 s in (90 s, 120 s].
      firstResponse: { count: 2, averageMs: 56_000, medianMs: 15_000, p90Ms: 114_000 },
      // 5, 10 and 30 minutes count in (2 min, 5 min], (5 min, 10 min] and (20 min, 30 min].
      duration: { count: 3, averageMs: 900_000, medianMs: 450_000, p90Ms: 1_620_000 },
      messages: { visitor: 4, operator: 2, perConversation: 2 },
      ratings: { count: 2, average: 4, distribution: [0, 0, 1, 0, 1] },
    });
    expect(found.previousTotals.conversations).toEqual({ total: 1, answered: 0, missed: 1, offline: 0, closed: 1 });
    expect(found.days).toEqual([
      { day: '2026-01-15', conversations: 1, answered: 1, missed: 0, offline: 0 },
      { day: '2026-01-16', conversations: 2, answered: 1, missed: 1, offline: 0 },
    ]);
    const hours = found.busiestHours.flatMap((row, weekday) =>
      row.flatMap((count, hour) => (count > 0 ? [[weekday, hour, count]] : [])),
    );
    // Thursday 13:00, Friday 00:00 and 11:00.
    expect(hours).toEqual([
      [3, 13, 1],
      [4, 0, 1],
      [4, 11, 1],
    ]);
    expect(found.operators.map((row) => row.operatorId).sort()).toEqual([acme.ownerId, agent.id].sort());
    expect(found.operators.find((row) => row.operatorId === agent.id)).toEqual({
      operatorId: agent.id,
      conversations: 1,
      messages: 1,
      firstResponse: { count: 1, averageMs: 100_000, medianMs: 105_000, p90Ms: 117_000 },
      duration: { count: 1, averageMs: 1_800_000, medianMs: 1_500_000, p90Ms: 1_740_000 },
      ratings: { count: 1, average: 3 },
    });

    // One operator: their conversations are those they closed; one widget: the account has one.
    const own = await report(acme, `from=2026-01-15&to=2026-01-16&operatorId=${acme.ownerId}`);
    expect(own.totals.conversations).toEqual({ total: 1, answered: 1, missed: 0, offline: 0, closed: 1 });
    expect(own.totals.messages).toEqual({ visitor: 0, operator: 1, perConversation: 1 });
    const widget = await report(acme, `from=2026-01-15&to=2026-01-16&widgetId=${acme.widgetId}`);
    expect(widget.totals).toEqual(found.totals);

    // The same numbers as CSV downloads: a row per day, a row per operator.
    const owner = await logInAs(app, { email: acme.email, password: PASSWORD });
    const days = await get(owner, '/api/v1/reports/days.csv?from=2026-01-14&to=2026-01-16');
    expect(days.statusCode, days.body).toBe(200);
    expect(days.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(days.headers['content-disposition']).toBe('attachment; filename="report-2026-01-14-2026-01-16-days.csv"');
    expect(days.body.split('\r\n')).toEqual([
      'day,conversations,answered,missed,offline,closed,first_response_avg_s,first_response_median_s,first_response_p90_s,' +
        'duration_avg_s,duration_median_s,duration_p90_s,messages_visitor,messages_operator,messages_per_conversation,ratings,rating_avg,' +
        'rated_1,rated_2,rated_3,rated_4,rated_5',
      '2026-01-14,1,0,1,0,1,,,,60,30,54,1,0,1,0,,0,0,0,0,0',
      '2026-01-15,1,1,0,0,1,12,12.5,14.5,600,450,570,2,1,3,1,5,0,0,0,0,1',
      '2026-01-16,2,1,1,0,2,100,105,117,1050,300,1680,2,1,1.5,1,3,0,0,1,0,0',
      '',
    ]);
    const operators = await get(owner, '/api/v1/reports/operators.csv?from=2026-01-15&to=2026-01-16');
    expect(operators.statusCode, operators.body).toBe(200);
    const [header, ...rows] = operators.body.trimEnd().split('\r\n');
    expect(header).toBe(
      'operator_id,conversations,messages,first_response_avg_s,first_response_median_s,first_response_p90_s,duration_avg_s,duration_median_s,duration_p90_s,ratings,rating_avg',
    );
    expect(rows.sort()).toEqual(
      [`${acme.ownerId},1,1,12,12.5,14.5,600,450,570,1,5`, `${agent.id},1,1,100,105,117,1800,1500,1740,1,3`].sort(),
    );
  });

  it('answers the same report after the transcripts are erased and after a retention sweep', async () => {
    const acme = await account('Acme');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await chat(acme, {
          operatorId: acme.ownerId,
          answerAfterMs: (i + 1) * 20 * SECOND,
          closeAfterMs: 15 * MINUTE,
          rating: 4,
        }),
      );
      t.clock.advance(2 * 60 * MINUTE);
    }
    ids.push(await chat(acme, { closeAfterMs: MINUTE, rating: 1 }));
    const query = 'from=2026-01-01&to=2026-01-31';
    const before = await report(acme, query);
    expect(before.totals.conversations.total).toBe(4);

    const owner: Principal = {
      kind: 'operator',
      accountId: acme.accountId,
      operatorId: acme.ownerId,
      role: 'owner',
      sessionId: 'test',
    };
    await eraseConversation(t.ctx, { conversationId: ids[0] as string, by: owner });
    expect(await report(acme, query)).toEqual(before);
    // Thirteen months on, the 12-month window takes the rest.
    t.clock.advance(396 * 24 * 60 * MINUTE);
    expect(await sweepRetention(t.ctx)).toMatchObject({ conversations: 3 });
    expect(await report(acme, query)).toEqual(before);
  });

  it("answers the same report after a bulk delete, a contact's erasure and the erasure of a widget's conversations", async () => {
    const acme = await account('Acme');
    const shop = await addSceneWidget(t.ctx, acme);
    await chat(acme, { operatorId: acme.ownerId, answerAfterMs: 40 * SECOND, closeAfterMs: 20 * MINUTE, rating: 1 });
    await chat(acme, { operatorId: acme.ownerId, answerAfterMs: 8 * SECOND, closeAfterMs: 5 * MINUTE, rating: 5 });
    const contact = await seedSceneConversation(t.ctx, { account: acme, contactName: 'Ada', close: true, rating: 4 });
    await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, operatorId: acme.ownerId, close: true });
    await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, messages: 5, close: true, rating: 2 });
    const query = 'from=2026-01-01&to=2026-01-31';
    const before = await report(acme, query);
    const shopBefore = await report(acme, `${query}&widgetId=${shop}`);
    expect(before.totals.conversations.total).toBe(5);
    expect(shopBefore.totals.conversations.total).toBe(2);
    // A bulk delete takes the conversations created before it, to the millisecond.
    t.clock.advance(SECOND);
    const erase = async (method: 'POST' | 'DELETE', url: string, payload?: object) => {
      const response = await callAs(app, acme.owner, { method, url, ...(payload ? { payload } : {}) });
      expect(response.statusCode, response.body).toBeLessThan(300);
      await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });
    };

    await erase('POST', '/api/v1/deletions', { filter: { rating: 1 }, confirm: true });
    expect(await report(acme, query)).toEqual(before);
    await erase('DELETE', `/api/v1/contacts/${contact.contactId}`);
    expect(await report(acme, query)).toEqual(before);
    await erase('DELETE', `/api/v1/widgets/${shop}/conversations`);
    expect(await report(acme, query)).toEqual(before);
    expect(await report(acme, `${query}&widgetId=${shop}`)).toEqual(shopBefore);
    // One of the five conversations is left: the deletions did happen.
    expect(await allConversationIds(t.ctx.database.db)).toHaveLength(1);
  });

  it('answers the same report after another widget of the account is deleted', async () => {
    const acme = await account('Acme');
    const added = await callAs(app, acme.owner, { method: 'POST', url: '/api/v1/widgets', payload: { name: 'Shop' } });
    expect(added.statusCode, added.body).toBe(201);
    const shop = { ...acme, widgetId: added.json<WidgetDto>().id };
    await chat(acme, { operatorId: acme.ownerId, answerAfterMs: 30 * SECOND, closeAfterMs: 10 * MINUTE, rating: 5 });
    t.clock.advance(MINUTE);
    await chat(shop, { operatorId: acme.ownerId, answerAfterMs: 90 * SECOND, closeAfterMs: 25 * MINUTE, rating: 2 });
    t.clock.advance(MINUTE);
    await chat(shop, { closeAfterMs: 3 * MINUTE, visitorMessages: 3 });
    t.clock.advance(MINUTE);
    // Still open when the widget goes: its erasure ends it uncounted, as a bulk delete does.
    await chat(shop, { operatorId: acme.ownerId, answerAfterMs: 5 * SECOND });
    const query = 'from=2026-01-01&to=2026-01-31';
    const before = await report(acme, query);
    expect(before.totals.conversations.total).toBe(4);
    expect(before.totals.ratings.count).toBe(2);

    const deleted = await callAs(app, acme.owner, { method: 'DELETE', url: `/api/v1/widgets/${shop.widgetId}` });
    expect(deleted.statusCode, deleted.body).toBe(202);
    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    const owner = await logInAs(app, { email: acme.email, password: PASSWORD });
    const job = await get(owner, `/api/v1/jobs/${deleted.json<JobDto>().id}`);
    expect(job.json<JobDto>()).toMatchObject({ status: 'done', done: 3 });

    expect(await report(acme, query)).toEqual(before);
    // The shop's three conversations are gone, the website's is left.
    expect(await allConversationIds(t.ctx.database.db)).toHaveLength(1);
  });

  it('refuses a reversed or too long period, days that are none, and widgets and operators not of the account', async () => {
    const acme = await account('Acme');
    const beta = await account('Beta');
    const betaAgent = await colleague(beta, 'agent@beta.test', 'operator');
    const bad: [string, string][] = [
      ['from=2026-01-16&to=2026-01-15', 'validation_failed'],
      ['from=2021-01-01&to=2026-01-02', 'validation_failed'],
      ['from=2026-02-30&to=2026-03-01', 'validation_failed'],
      ['from=15.01.2026&to=2026-03-01', 'validation_failed'],
      ['from=2026-01-01', 'validation_failed'],
      ['from=2026-01-01&to=2026-01-02&group=day', 'validation_failed'],
      [`from=2026-01-01&to=2026-01-02&widgetId=${beta.widgetId}`, 'not_found'],
      [`from=2026-01-01&to=2026-01-02&widgetId=${randomUUID()}`, 'not_found'],
      [`from=2026-01-01&to=2026-01-02&operatorId=${betaAgent.id}`, 'not_found'],
      [`from=2026-01-01&to=2026-01-02&operatorId=${randomUUID()}`, 'not_found'],
    ];
    for (const [query, code] of bad) {
      for (const path of ['/api/v1/reports', '/api/v1/reports/days.csv', '/api/v1/reports/operators.csv']) {
        const response = await get(acme.owner, `${path}?${query}`);
        expect(errorOf(response).code, `${path}?${query}`).toBe(code);
        expect(response.statusCode, `${path}?${query}`).toBe(code === 'not_found' ? 404 : 400);
      }
    }
    // Five years, leap days counted, is the longest period.
    expect((await report(acme, 'from=2021-01-01&to=2026-01-01')).days).toHaveLength(1827);
  });

  it('describes the report and its CSV downloads in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    type Operation = { tags?: string[]; description?: string; parameters?: { name: string }[] };
    const { paths } = response.json<{ paths: Record<string, Record<string, Operation>> }>();
    const routes = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.tags?.includes('reports'))
        .map(([method, operation]) => ({ route: `${method} ${path}`, operation })),
    );
    expect(routes.map(({ route }) => route).sort()).toEqual([
      'get /api/v1/reports',
      'get /api/v1/reports/days.csv',
      'get /api/v1/reports/operators.csv',
    ]);
    for (const { operation } of routes) {
      expect(operation.parameters?.map((parameter) => parameter.name).sort()).toEqual([
        'from',
        'operatorId',
        'to',
        'widgetId',
      ]);
    }
    const days = routes.find(({ route }) => route.endsWith('days.csv'))?.operation;
    expect(days?.description).toContain('day,conversations,answered,missed,offline,closed,');
  });

  it('shows reports to admins and owners of the account only', async () => {
    const acme = await account('Acme');
    const agent = await colleague(acme, 'agent@acme.test', 'operator');
    for (const path of ['/api/v1/reports', '/api/v1/reports/days.csv', '/api/v1/reports/operators.csv']) {
      const response = await get(agent.caller, `${path}?from=2026-01-01&to=2026-01-02`);
      expect(errorOf(response).code, path).toBe('forbidden');
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports?from=2026-01-01&to=2026-01-02' })).statusCode).toBe(
      401,
    );
  });
});
