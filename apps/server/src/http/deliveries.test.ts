import { createHmac } from 'node:crypto';
import type { DeliveryDto, WebhookEndpointDto } from '@plauder/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../crypto/visitor-token.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { eraseConversation } from '../domain/conversations/erase-conversation.js';
import { leaveOfflineMessage } from '../domain/conversations/leave-offline-message.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { backoffMs, DeliveryWorker, MAX_ATTEMPTS } from '../domain/deliveries/delivery-worker.js';
import { requestTranscript, TRANSCRIPT_INTERVAL_MS } from '../domain/deliveries/request-transcript.js';
import { assignPlan, setPlan } from '../domain/functions/plans.js';
import { listWidgets } from '../storage/widgets-repository.js';
import { seedAnotherVisitor, setWidgetSettings } from '../test-support/fixtures.js';
import { callAs, errorOf, logInAs, type Caller, type Method } from '../test-support/http-callers.js';
import { startHttpReceiver, type HttpReceiver } from '../test-support/http-receiver.js';
import { startSmtpStandIn, type SmtpStandIn } from '../test-support/smtp-stand-in.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';

/**
 * The optional functions delivering for real: emails to an SMTP server and webhook calls and
 * translations to HTTP receivers, all started here on this machine. Deliveries are sent by a
 * DeliveryWorker drained by the test, on the test's clock.
 */
describe(`deliveries of the optional functions (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let smtp: SmtpStandIn;
  let deepl: HttpReceiver;
  let worker: DeliveryWorker;
  const receivers: HttpReceiver[] = [];
  /** While set, the translation stand-in answers as told by deepl.answer instead of translating. */
  let deeplFails = false;

  beforeEach(async () => {
    smtp = await startSmtpStandIn();
    deeplFails = false;
    deepl = await startHttpReceiver((request) => {
      if (deeplFails) return undefined;
      const { text, target_lang: target } = JSON.parse(request.body) as { text: string[]; target_lang: string };
      return {
        status: 200,
        body: JSON.stringify({
          translations: text.map((line) => ({ detected_source_language: 'DE', text: `[${target}] ${line}` })),
        }),
      };
    });
    t = await createTestContext({
      env: {
        SMTP_URL: smtp.url,
        SMTP_FROM: 'chat@plauder.test',
        SMTP_COUNTRY: 'DE',
        TRANSLATION_URL: deepl.url,
        TRANSLATION_API_KEY: 'deepl-key-1',
        TRANSLATION_COUNTRY: 'DE',
        // The receivers listen on 127.0.0.1; production refuses that (see the SSRF test below).
        WEBHOOK_PRIVATE_ADDRESSES: 'allow',
      },
    });
    app = await buildServer(t.ctx);
    await setPlan(t.ctx, { name: 'complete', functions: ['email', 'webhooks', 'translation'] });
    worker = new DeliveryWorker(t.ctx, { smtpTimeoutMs: 2_000, webhookTimeoutMs: 2_000 });
  });
  afterEach(async () => {
    await worker.stop();
    await app.close();
    await t.cleanup();
    await smtp.close();
    await deepl.close();
    for (const receiver of receivers.splice(0)) await receiver.close();
  });

  function call(caller: Caller, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return callAs(app, caller, { method, url, ...(payload === undefined ? {} : { payload }) });
  }

  async function receiver(): Promise<HttpReceiver> {
    const started = await startHttpReceiver();
    receivers.push(started);
    return started;
  }

  /** An account on the complete plan with `functions` turned on, and a visitor of its widget. */
  async function account(name: string, functions: ('email' | 'webhooks' | 'translation')[]) {
    const email = `owner@${name.toLowerCase()}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'complete',
      owner: { email, displayName: `${name} Owner`, password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    const owner = await logInAs(app, { email, password: PASSWORD });
    for (const fn of functions) {
      const response = await call(owner, 'PUT', `/api/v1/account/functions/${fn}`, { enabled: true });
      expect(response.statusCode, response.body).toBe(200);
    }
    const [widget] = await listWidgets(t.ctx.database.db, { accountId: created.accountId });
    await setWidgetSettings(t.ctx, { widgetId: widget!.id, settings: { privacy: { optIn: false } } });
    const visitor = await seedAnotherVisitor(t.ctx, { accountId: created.accountId, widgetId: widget!.id });
    return { accountId: created.accountId, owner, ownerEmail: email, visitor };
  }

  async function addEndpoint(owner: Caller, url: string, events?: string[]): Promise<WebhookEndpointDto> {
    const response = await call(owner, 'POST', '/api/v1/webhooks', { url, ...(events ? { events } : {}) });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<WebhookEndpointDto>();
  }

  async function chat(visitor: VisitorTokenClaims, text: string) {
    const { conversationId } = await startConversation(t.ctx, { visitor });
    const author = { kind: 'visitor' as const, accountId: visitor.accountId, visitorId: visitor.visitorId };
    const sent = await sendMessage(t.ctx, { author, conversationId, clientMessageId: `c-${text}`, body: text });
    return { conversationId, messageId: sent.messageId };
  }

  async function deliveries(owner: Caller, query = ''): Promise<DeliveryDto[]> {
    const response = await call(owner, 'GET', `/api/v1/deliveries${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ deliveries: DeliveryDto[] }>().deliveries;
  }

  const events = (target: HttpReceiver) =>
    target.received.map((request) => (JSON.parse(request.body) as { event: string }).event);

  it('signs webhook calls of the account to its own endpoints only, and emails its operators of offline messages', async () => {
    const acme = await account('Acme', ['email', 'webhooks']);
    const globex = await account('Globex', ['webhooks']);
    const acmeHook = await receiver();
    const globexHook = await receiver();
    const endpoint = await addEndpoint(acme.owner, `${acmeHook.url}/hooks/plauder`);
    await addEndpoint(globex.owner, `${globexHook.url}/in`, ['conversation.started']);

    const acmeChat = await chat(acme.visitor, 'Hallo, wo ist meine Bestellung?');
    await chat(globex.visitor, 'Globex secret question');
    await closeConversation(t.ctx, {
      by: { kind: 'visitor', accountId: acme.accountId, visitorId: acme.visitor.visitorId },
      conversationId: acmeChat.conversationId,
    });
    const offline = await leaveOfflineMessage(t.ctx, {
      visitor: acme.visitor,
      clientMessageId: 'offline-1',
      body: 'Please call me back tomorrow',
      email: 'visitor@example.test',
    });
    await leaveOfflineMessage(t.ctx, { visitor: globex.visitor, clientMessageId: 'offline-2', body: 'Globex offline' });
    expect(await worker.drain()).toBe(6);

    // Acme's endpoint took every event of Acme (no order is promised); Globex's its one event.
    expect(events(acmeHook).sort()).toEqual([
      'conversation.closed',
      'conversation.started',
      'message.created',
      'offline_message.received',
    ]);
    expect(events(globexHook)).toEqual(['conversation.started']);
    expect(acmeHook.received.map((r) => r.body).join()).not.toContain('Globex');
    expect(globexHook.received.map((r) => r.body).join()).not.toMatch(/Acme|Bestellung|Globex secret/);

    // Each call is signed with the endpoint's secret over its timestamp and raw body.
    const secret = (await call(acme.owner, 'GET', `/api/v1/webhooks/${endpoint.id}/secret`)).json<{ secret: string }>()
      .secret;
    expect(secret).toMatch(/^whsec_[\w-]{43}$/);
    for (const request of acmeHook.received) {
      expect(request.path).toBe('/hooks/plauder');
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['plauder-signature']));
      expect(match).not.toBeNull();
      const expected = createHmac('sha256', secret).update(`${match![1]}.${request.body}`).digest('hex');
      expect(match![2]).toBe(expected);
      expect(request.headers['plauder-delivery']).toBe((JSON.parse(request.body) as { id: string }).id);
    }
    const message = JSON.parse(
      acmeHook.received.find((r) => r.headers['plauder-event'] === 'message.created')!.body,
    ) as {
      event: string;
      accountId: string;
      data: { conversation: { id: string }; message: { id: string; text: string; author: string } };
    };
    expect(message).toMatchObject({
      event: 'message.created',
      accountId: acme.accountId,
      data: {
        conversation: { id: acmeChat.conversationId },
        message: { id: acmeChat.messageId, text: 'Hallo, wo ist meine Bestellung?', author: 'visitor' },
      },
    });
    // Another account's secret does not verify Acme's calls; a forged body does not either.
    const globexEndpoints = (await call(globex.owner, 'GET', '/api/v1/webhooks')).json<{
      endpoints: WebhookEndpointDto[];
    }>().endpoints;
    const globexSecret = (await call(globex.owner, 'GET', `/api/v1/webhooks/${globexEndpoints[0]!.id}/secret`)).json<{
      secret: string;
    }>().secret;
    expect(globexSecret).not.toBe(secret);
    // Acme's endpoint is no endpoint to Globex: not read, changed, rotated or removed, and nothing moves.
    for (const [method, path, body] of [
      ['GET', `/api/v1/webhooks/${endpoint.id}/secret`, undefined],
      ['POST', `/api/v1/webhooks/${endpoint.id}/secret`, undefined],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${endpoint.id}`, undefined],
    ] as const) {
      const response = await call(globex.owner, method, path, body);
      expect([method, path, response.statusCode, errorOf(response).code]).toEqual([method, path, 404, 'not_found']);
    }
    const acmeSecretAfter = (await call(acme.owner, 'GET', `/api/v1/webhooks/${endpoint.id}/secret`)).json<{
      secret: string;
    }>().secret;
    expect(acmeSecretAfter).toBe(secret);
    expect((await call(acme.owner, 'GET', '/api/v1/webhooks')).json<{ endpoints: WebhookEndpointDto[] }>()).toEqual({
      endpoints: [endpoint],
    });

    // One email, to Acme's operators, about Acme's offline message; none for Globex (email off).
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({ from: 'chat@plauder.test', to: [acme.ownerEmail] });
    expect(smtp.received[0]!.subject).toBe('New offline message on Website');
    expect(smtp.received[0]!.text).toContain('Please call me back tomorrow');
    expect(smtp.received[0]!.text).toContain('visitor@example.test');
    expect(smtp.received[0]!.text).toContain(`/app/conversations/${offline.conversationId}`);

    // The delivery log shows them, each account its own.
    const acmeLog = await deliveries(acme.owner);
    expect(acmeLog).toHaveLength(5);
    expect(acmeLog.every((entry) => entry.status === 'delivered' && entry.attempts === 1)).toBe(true);
    expect(acmeLog.filter((entry) => entry.function === 'email').map((entry) => entry.lastCode)).toEqual([250]);
    expect(await deliveries(globex.owner)).toHaveLength(1);
    expect(await deliveries(acme.owner, '?function=email')).toHaveLength(1);

    // Page by page, two at a time after the last one shown: each once, in the order of the whole log,
    // also where an event's deliveries share their millisecond.
    const paged: DeliveryDto[] = [];
    for (let page = await deliveries(acme.owner, '?limit=2'); page.length > 0;) {
      paged.push(...page);
      const last = page.at(-1)!;
      page = await deliveries(acme.owner, `?limit=2&before=${last.createdAt}&beforeId=${last.id}`);
    }
    expect(paged.map((entry) => entry.id)).toEqual(acmeLog.map((entry) => entry.id));
    const unanchored = await call(acme.owner, 'GET', `/api/v1/deliveries?beforeId=${acmeLog[0]!.id}`);
    expect([unanchored.statusCode, errorOf(unanchored).code]).toEqual([400, 'validation_failed']);
  });

  it('retries a failing endpoint with backoff, shows it in the log, and gives up after the last attempt', async () => {
    const acme = await account('Acme', ['webhooks']);
    const hook = await receiver();
    hook.answer({ status: 503 });
    await addEndpoint(acme.owner, hook.url, ['conversation.started']);
    await startConversation(t.ctx, { visitor: acme.visitor });

    expect(await worker.drain()).toBe(1);
    let [entry] = await deliveries(acme.owner, '?function=webhooks');
    expect(entry).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastCode: 503,
      lastError: 'The endpoint answered 503',
    });
    expect(entry!.nextAttemptAt).toBe(t.clock.now() + backoffMs(1));

    // Not due before its backoff has passed.
    t.clock.advance(backoffMs(1) - 1);
    expect(await worker.drain()).toBe(0);
    t.clock.advance(1);
    expect(await worker.drain()).toBe(1);
    [entry] = await deliveries(acme.owner);
    expect(entry).toMatchObject({ status: 'pending', attempts: 2, lastCode: 503 });
    expect(entry!.nextAttemptAt).toBe(t.clock.now() + backoffMs(2));
    expect(backoffMs(2)).toBe(2 * backoffMs(1));

    // The endpoint recovers: the next attempt delivers, the same delivery id as before.
    hook.answer({ status: 204 });
    t.clock.advance(backoffMs(2));
    expect(await worker.drain()).toBe(1);
    [entry] = await deliveries(acme.owner);
    expect(entry).toMatchObject({ status: 'delivered', attempts: 3, lastCode: 204, lastError: null });
    const ids = new Set(hook.received.map((request) => request.headers['plauder-delivery']));
    expect(ids.size).toBe(1);

    // One that never recovers fails for good after MAX_ATTEMPTS.
    hook.answer({ status: 500 });
    await startConversation(t.ctx, { visitor: acme.visitor });
    for (let attempt = 1; attempt <= MAX_ATTEMPTS.webhooks; attempt++) {
      expect(await worker.drain()).toBe(1);
      t.clock.advance(backoffMs(attempt));
    }
    expect(await worker.drain()).toBe(0);
    [entry] = await deliveries(acme.owner, '?status=failed');
    expect(entry).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS.webhooks, lastCode: 500 });
  });

  it('stops at once when a function is turned off: what is queued is cancelled, and nothing reaches the receivers', async () => {
    const acme = await account('Acme', ['email', 'webhooks']);
    const hook = await receiver();
    await addEndpoint(acme.owner, hook.url);
    await leaveOfflineMessage(t.ctx, { visitor: acme.visitor, clientMessageId: 'o-1', body: 'Still there?' });
    for (const fn of ['email', 'webhooks']) {
      const response = await call(acme.owner, 'PUT', `/api/v1/account/functions/${fn}`, { enabled: false });
      expect(response.statusCode).toBe(200);
    }
    expect(await worker.drain()).toBe(2);
    expect(hook.received).toEqual([]);
    expect(smtp.received).toEqual([]);
    expect(smtp.connections()).toBe(0);
    const log = await deliveries(acme.owner);
    expect(log.map((entry) => [entry.function, entry.status])).toEqual(
      expect.arrayContaining([
        ['email', 'cancelled'],
        ['webhooks', 'cancelled'],
      ]),
    );
    // Turned off, events queue nothing more.
    await leaveOfflineMessage(t.ctx, { visitor: acme.visitor, clientMessageId: 'o-2', body: 'Hello?' });
    expect(await deliveries(acme.owner)).toHaveLength(2);

    // A plan that leaves webhooks out stops them too, though the account has them on.
    await call(acme.owner, 'PUT', '/api/v1/account/functions/webhooks', { enabled: true });
    await startConversation(t.ctx, { visitor: acme.visitor });
    await setPlan(t.ctx, { name: 'mail-only', functions: ['email'] });
    await assignPlan(t.ctx, { accountId: acme.accountId, plan: 'mail-only' });
    expect(await worker.drain()).toBe(1);
    expect(hook.received).toEqual([]);
  });

  it('sends nothing of an erased conversation', async () => {
    const acme = await account('Acme', ['webhooks']);
    const hook = await receiver();
    await addEndpoint(acme.owner, hook.url, ['message.created']);
    const { conversationId } = await chat(acme.visitor, 'Erase me');
    await eraseConversation(t.ctx, {
      conversationId,
      by: { kind: 'visitor', accountId: acme.accountId, visitorId: acme.visitor.visitorId },
    });
    expect(await worker.drain()).toBe(1);
    expect(hook.received).toEqual([]);
    const [entry] = await deliveries(acme.owner);
    expect(entry).toMatchObject({ status: 'cancelled' });
    expect(entry!.lastError).toMatch(/gone/);
  });

  it('emails a visitor the transcript they ask for, and refuses while email does not run', async () => {
    const acme = await account('Acme', ['email']);
    const { conversationId } = await chat(acme.visitor, 'How do I reset my password?');
    await requestTranscript(t.ctx, { visitor: acme.visitor, conversationId, email: 'ada@example.test' });
    expect(await worker.drain()).toBe(1);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({ to: ['ada@example.test'], subject: 'Your chat on Website' });
    expect(smtp.received[0]!.text).toContain('You: How do I reset my password?');
    // Again at once: refused, so a visitor cannot make the mail server write to anyone over and over.
    await expect(
      requestTranscript(t.ctx, { visitor: acme.visitor, conversationId, email: 'someone@example.test' }),
    ).rejects.toMatchObject({ code: 'rate_limited' });
    t.clock.advance(TRANSCRIPT_INTERVAL_MS);
    await requestTranscript(t.ctx, { visitor: acme.visitor, conversationId, email: 'ada@example.test' });
    expect(await worker.drain()).toBe(1);
    expect(smtp.received).toHaveLength(2);

    // Another visitor may not ask for it; a website without email refuses, keeping nothing.
    const stranger = await seedAnotherVisitor(t.ctx, { accountId: acme.accountId, widgetId: acme.visitor.widgetId });
    await expect(
      requestTranscript(t.ctx, { visitor: stranger, conversationId, email: 'eve@example.test' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const globex = await account('Globex', []);
    const other = await chat(globex.visitor, 'Hello');
    await expect(
      requestTranscript(t.ctx, {
        visitor: globex.visitor,
        conversationId: other.conversationId,
        email: 'x@example.test',
      }),
    ).rejects.toMatchObject({ code: 'function_inactive' });
    expect(await worker.drain()).toBe(0);
    expect(smtp.received).toHaveLength(2);
  });

  it('fails an email to a mail server that hangs after its timeout, and retries it', async () => {
    await smtp.close();
    smtp = await startSmtpStandIn({ hang: true });
    await t.cleanup();
    await app.close();
    await worker.stop();
    t = await createTestContext({
      env: { SMTP_URL: smtp.url, SMTP_FROM: 'chat@plauder.test', SMTP_COUNTRY: 'DE' },
    });
    app = await buildServer(t.ctx);
    await setPlan(t.ctx, { name: 'complete', functions: ['email', 'webhooks', 'translation'] });
    worker = new DeliveryWorker(t.ctx, { smtpTimeoutMs: 500 });
    const acme = await account('Acme', ['email']);
    await leaveOfflineMessage(t.ctx, { visitor: acme.visitor, clientMessageId: 'o-1', body: 'Anyone?' });
    const started = performance.now();
    expect(await worker.drain()).toBe(1);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(smtp.connections()).toBe(1);
    const [entry] = await deliveries(acme.owner);
    expect(entry).toMatchObject({ function: 'email', status: 'pending', attempts: 1 });
    expect(entry!.lastError).toMatch(/greeting|timeout|time/i);
    expect(entry!.lastError).not.toContain('@');
  });

  it('translates a message of the account through the service, and only while translation runs', async () => {
    const acme = await account('Acme', ['translation']);
    const { conversationId, messageId } = await chat(acme.visitor, 'Wo ist meine Bestellung?');
    const url = `/api/v1/conversations/${conversationId}/messages/${messageId}/translation`;
    let response = await call(acme.owner, 'POST', url, { targetLang: 'en-gb' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      messageId,
      targetLang: 'EN-GB',
      detectedSourceLang: 'DE',
      text: '[EN-GB] Wo ist meine Bestellung?',
    });
    expect(deepl.received).toHaveLength(1);
    expect(deepl.received[0]!.path).toBe('/v2/translate');
    expect(deepl.received[0]!.headers.authorization).toBe('DeepL-Auth-Key deepl-key-1');

    // Another account cannot reach the message; without translation nothing is sent.
    const globex = await account('Globex', ['translation']);
    response = await call(globex.owner, 'POST', url, { targetLang: 'EN' });
    expect(response.statusCode).toBe(404);
    const plain = await account('Plain', []);
    const other = await chat(plain.visitor, 'Bonjour');
    response = await call(
      plain.owner,
      'POST',
      `/api/v1/conversations/${other.conversationId}/messages/${other.messageId}/translation`,
      {
        targetLang: 'DE',
      },
    );
    expect(response.statusCode).toBe(409);
    expect(errorOf(response).code).toBe('function_inactive');
    response = await call(acme.owner, 'POST', url, { targetLang: 'not a language' });
    expect(errorOf(response).code).toBe('validation_failed');
    expect(deepl.received).toHaveLength(1);

    // A service that fails, or answers something else, gives provider_unavailable.
    deeplFails = true;
    deepl.answer({ status: 456, body: '{"message":"Quota exceeded"}' });
    response = await call(acme.owner, 'POST', url, { targetLang: 'EN' });
    expect(response.statusCode).toBe(502);
    expect(errorOf(response)).toMatchObject({ code: 'provider_unavailable' });
    expect(errorOf(response).message).toContain('456');
    deepl.answer({ status: 200, body: '{"nothing":[]}' });
    response = await call(acme.owner, 'POST', url, { targetLang: 'EN' });
    expect(errorOf(response).code).toBe('provider_unavailable');
  });
});

describe(`webhooks in production mode (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let hook: HttpReceiver;
  beforeEach(async () => {
    hook = await startHttpReceiver();
    t = await createTestContext({ env: { NODE_ENV: 'production' } });
    app = await buildServer(t.ctx);
    await setPlan(t.ctx, { name: 'complete', functions: ['webhooks'] });
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
    await hook.close();
  });

  it('refuses endpoints at private or loopback addresses (SSRF), and calls to hosts that resolve to one when they connect', async () => {
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'complete',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    const owner = await logInAs(app, { email: 'owner@acme.test', password: PASSWORD });
    const call = (method: Method, url: string, payload?: object) =>
      callAs(app, owner, { method, url, ...(payload === undefined ? {} : { payload }) });
    expect((await call('PUT', '/api/v1/account/functions/webhooks', { enabled: true })).statusCode).toBe(200);
    for (const url of [hook.url, 'http://localhost:9/hook', 'http://169.254.169.254/latest/meta-data/']) {
      const response = await call('POST', '/api/v1/webhooks', { url });
      expect(response.statusCode, url).toBe(422);
      expect(errorOf(response).code).toBe('url_not_allowed');
    }
    expect((await call('GET', '/api/v1/webhooks')).json()).toEqual({ endpoints: [] });

    // A name that resolved to a public address when it was added and to a loopback one now (DNS
    // rebinding): the call is refused as it connects, before a byte is sent.
    await t.ctx.database.db
      .insertInto('webhook_endpoints')
      .values({
        id: 'rebound',
        account_id: created.accountId,
        url: `http://localhost:${new URL(hook.url).port}/hook`,
        events: JSON.stringify(['conversation.started']),
        enabled: 1,
        secret_version: 1,
        created_by: null,
        created_at: t.clock.now(),
        updated_at: t.clock.now(),
      })
      .execute();
    const [widget] = await listWidgets(t.ctx.database.db, { accountId: created.accountId });
    await setWidgetSettings(t.ctx, { widgetId: widget!.id, settings: { privacy: { optIn: false } } });
    const visitor = await seedAnotherVisitor(t.ctx, { accountId: created.accountId, widgetId: widget!.id });
    await startConversation(t.ctx, { visitor });
    const worker = new DeliveryWorker(t.ctx);
    expect(await worker.drain()).toBe(1);
    expect(hook.received).toEqual([]);
    const [entry] = (await call('GET', '/api/v1/deliveries')).json<{ deliveries: DeliveryDto[] }>().deliveries;
    expect(entry).toMatchObject({ status: 'pending', attempts: 1, lastCode: null });
    expect(entry!.lastError).toMatch(/^EPRIVATEADDRESS: .*(127\.0\.0\.1|::1)/);
  });
});
