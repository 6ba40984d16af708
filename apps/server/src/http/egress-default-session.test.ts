import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OperatorServerFrame, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listBackups } from '../backup/backups.js';
import { createBackupTarget } from '../backup/create-backup-target.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { DeliveryWorker } from '../domain/deliveries/delivery-worker.js';
import { runJobsNow } from '../jobs/worker.js';
import { callAs, logInAs } from '../test-support/http-callers.js';
import { watchOutboundConnections } from '../test-support/outbound-connections.js';
import { SocketClient } from '../test-support/socket-client.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const password = 'correct horse battery';

/** `address:port` of a store's URL as a socket reports its peer (a name is looked up as the driver would). */
function storeAddress(url: string | undefined): string[] {
  if (!url) return [];
  const { hostname, port, protocol } = new URL(url);
  const fallback = protocol.startsWith('postgres') ? '5432' : '6379';
  const host = hostname === 'localhost' ? '127.0.0.1' : hostname.replace(/^\[|\]$/g, '');
  return [`${host}:${port || fallback}`, `::1:${port || fallback}`];
}

/**
 * Promise P9 at the socket level: a whole visitor and operator session, an offline message, a data
 * export and a backup, with the default settings, open no connection but to the declared stores
 * (PostgreSQL and Redis on test:pg runs; none on SQLite) and to this test's own server. Every client
 * socket of the process is watched (Node's net.client.socket channel), not the egress guard.
 */
describe(`outbound connections of a default installation (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let base: string;
  let watch: ReturnType<typeof watchOutboundConnections>;
  const sockets: SocketClient<{ type: string }>[] = [];

  beforeEach(async () => {
    watch = watchOutboundConnections();
    // The default daily backup time (tests turn it off unless they ask for it); the clock is at 12:00.
    t = await createTestContext({ env: { BACKUP_TIME: '03:00' } });
    app = await buildServer(t.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    watch.stop();
    for (const socket of sockets.splice(0)) socket.close();
    await app.close();
    await t.cleanup();
  });

  it('connects to nothing but its declared stores through a chat, an offline message, an export and a backup', async () => {
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Ada Owner', password },
      actor: { kind: 'cli', id: null },
    });
    const deliveries = new DeliveryWorker(t.ctx, { pollIntervalMs: 50 });
    deliveries.start();
    const owner = await logInAs(app, { email: 'owner@acme.test', password });
    const operator = await SocketClient.open<OperatorServerFrame>(`ws://${base}/ws/v1/operator`, {
      headers: { cookie: `plauder_session=${owner.cookies?.plauder_session ?? ''}` },
    });
    sockets.push(operator);
    await operator.next('welcome');
    const session = await app.inject({
      method: 'POST',
      url: '/api/v1/visitor-sessions',
      payload: { publicKey: created.widget.publicKey },
    });
    const { token } = session.json<VisitorSessionDto>();
    const window = await SocketClient.open<VisitorServerFrame>(`ws://${base}/ws/v1/visitor?token=${token}`);
    sockets.push(window);
    // Email does not run: the window is told not to offer the transcript by email.
    expect(await window.next('welcome')).toMatchObject({ transcriptByEmail: false });

    // A chat: routed to the owner, answered, identified, rated and closed.
    const ref = randomUUID();
    window.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
    const { conversationId } = await window.next('conversation.started', (f) => f.ref === ref);
    await window.next('conversation.assigned');
    window.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'Where is my order?' });
    await operator.next('message.created');
    operator.send({ type: 'message.send', conversationId, clientMessageId: randomUUID(), body: 'On its way.' });
    await window.next('message.created', (f) => f.message.authorKind === 'operator');
    window.send({ type: 'contact.identify', conversationId, name: 'Grace', email: 'grace@example.test' });
    await window.next('contact.identified');
    window.send({ type: 'conversation.rate', conversationId, rating: 5 });
    await window.next('conversation.rated');
    operator.send({ type: 'conversation.close', conversationId });
    await window.next('conversation.closed');

    // An offline message, with nobody online.
    operator.send({ type: 'presence.set', status: 'offline' });
    await operator.next('presence');
    window.send({
      type: 'offline-message.send',
      clientMessageId: randomUUID(),
      body: 'Call me back',
      email: 'grace@example.test',
      consent: { version: 'en-1' },
    });
    await window.next('offline-message.ack');

    // A data export of the contact, and a transcript by email, which a default installation refuses.
    const exported = await callAs(app, owner, {
      method: 'POST',
      url: '/api/v1/exports',
      payload: { email: 'grace@example.test' },
    });
    expect(exported.statusCode, exported.body).toBe(200);
    window.send({ type: 'transcript.request', conversationId, email: 'grace@example.test' });
    expect(await window.next('error')).toMatchObject({ code: 'function_inactive' });

    // The daily backup, proven as it is written, into the default directory.
    await runJobsNow(t.ctx);
    const target = await createBackupTarget(t.ctx.config);
    const [backup] = await listBackups(target);
    await target.close();
    expect(backup?.verification?.ok).toBe(true);
    await deliveries.drain();
    await deliveries.stop();

    const allowed = new Set([base, ...storeAddress(process.env.DATABASE_URL), ...storeAddress(process.env.REDIS_URL)]);
    const elsewhere = watch.connected.filter((peer) => !allowed.has(peer));
    expect(elsewhere).toEqual([]);
    // Every socket begun was one of those: none was begun towards anywhere else and failed.
    expect(watch.begun()).toBe(watch.connected.length);
    // The watch saw the test's own sockets, so it was watching.
    expect(watch.connected.filter((peer) => peer === base).length).toBeGreaterThanOrEqual(2);
    const log = await t.ctx.database.db.selectFrom('deliveries').selectAll().execute();
    expect(log).toEqual([]);
  });
});
