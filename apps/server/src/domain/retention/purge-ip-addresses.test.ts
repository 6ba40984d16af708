import { Cron } from 'croner';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { scheduleOf } from '../../jobs/job.js';
import { purgeIpAddressesJob } from '../../jobs/purge-ip-addresses.js';
import { jobDefinitions } from '../../jobs/registry.js';
import { runJobsNow } from '../../jobs/worker.js';
import { insertConversation } from '../../storage/conversations-repository.js';
import { seedAnotherVisitor, seedVisitor } from '../../test-support/fixtures.js';
import { findRaw, rawDatabase } from '../../test-support/raw-database.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { startConversation } from '../conversations/start-conversation.js';
import { purgeIpAddresses } from './purge-ip-addresses.js';

const HOUR_MS = 60 * 60 * 1000;
// An address of the documentation range (RFC 5737).
const IP = '203.0.113.77';

describe(`purgeIpAddresses (${testDialect})`, () => {
  let t: TestContext;
  let visitor: VisitorTokenClaims;
  beforeEach(async () => {
    t = await createTestContext();
    visitor = await seedVisitor(t.ctx);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const showIps = (on: boolean) =>
    db()
      .updateTable('accounts')
      .set({ show_visitor_ip: on ? 1 : 0 })
      .where('id', '=', visitor.accountId)
      .execute();
  const stored = (conversationId: string) =>
    db()
      .selectFrom('conversations')
      .select(['visitor_ip_sealed', 'visitor_ip_expires_at'])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
  const start = async (of: VisitorTokenClaims) =>
    (await startConversation(t.ctx, { visitor: of, consent: { version: 'en-1' }, clientAddress: IP })).conversationId;

  it('keeps an IP collected at T at T+22h and has its sealed bytes gone from the raw database by T+24h, the job run every hour', async () => {
    await showIps(true);
    const collectedAt = t.clock.now();
    const conversationId = await start(visitor);
    const sealed = (await stored(conversationId)).visitor_ip_sealed;
    if (sealed === null) throw new Error('The IP was not stored: IP display is on');
    expect(findRaw(rawDatabase(t), [sealed]), 'the scan sees the sealed IP while it is stored').toHaveLength(1);

    for (let hour = 1; hour <= 24; hour += 1) {
      t.clock.advance(HOUR_MS);
      await runJobsNow(t.ctx, { definitions: [purgeIpAddressesJob] });
      const row = await stored(conversationId);
      if (hour <= 22) expect(row.visitor_ip_sealed, `at T+${hour}h`).not.toBeNull();
      if (row.visitor_ip_sealed === null) {
        expect(row.visitor_ip_expires_at).toBeNull();
        expect(t.clock.now() - collectedAt).toBeLessThanOrEqual(24 * HOUR_MS);
      }
    }
    expect(await stored(conversationId)).toEqual({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
    // Gone from the pages as well: nothing of the old row is left in the SQLite file, its WAL or a dump.
    expect(findRaw(rawDatabase(t), [sealed])).toEqual([]);
    const runs = await db()
      .selectFrom('jobs')
      .select(['status', 'result'])
      .where('name', '=', 'purge-ip-addresses')
      .execute();
    expect(runs.length).toBeGreaterThanOrEqual(24);
    expect(runs.every((run) => run.status === 'done')).toBe(true);
    expect(runs.filter((run) => run.result === JSON.stringify({ conversations: 1 }))).toHaveLength(1);
  });

  it('stores no IP for an account with IP display off, so there is nothing to purge', async () => {
    const conversationId = await start(visitor);
    expect(await stored(conversationId)).toEqual({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
    t.clock.advance(24 * HOUR_MS);
    expect(await purgeIpAddresses(t.ctx)).toEqual({ removed: 0 });
  });

  it('removes expired IPs of every account in bounded batches, leaves unexpired ones, and finds nothing the second time', async () => {
    await showIps(true);
    const other = await seedVisitor(t.ctx);
    await db().updateTable('accounts').set({ show_visitor_ip: 1 }).where('id', '=', other.accountId).execute();
    const expiring: string[] = [];
    for (let i = 0; i < 4; i += 1) expiring.push(await start(await seedAnotherVisitor(t.ctx, visitor)));
    for (let i = 0; i < 3; i += 1) expiring.push(await start(await seedAnotherVisitor(t.ctx, other)));
    t.clock.advance(HOUR_MS);
    const fresh = await insertConversation(t.ctx.store, {
      accountId: visitor.accountId,
      widgetId: visitor.widgetId,
      visitorId: visitor.visitorId,
      visitorIp: IP,
      now: t.clock.now(),
    });
    t.clock.advance(22 * HOUR_MS);

    const batches: number[] = [];
    const purged = await purgeIpAddresses(t.ctx, { batchSize: 3, afterBatch: async (n) => void batches.push(n) });

    expect(purged).toEqual({ removed: 7 });
    expect(batches).toEqual([3, 6]);
    for (const id of expiring) expect((await stored(id)).visitor_ip_sealed).toBeNull();
    expect((await stored(fresh)).visitor_ip_sealed).not.toBeNull();
    expect(await purgeIpAddresses(t.ctx)).toEqual({ removed: 0 });
  });

  it('is one of the jobs the worker runs, at least once an hour', () => {
    expect(jobDefinitions.map((d) => d.name)).toContain('purge-ip-addresses');
    const schedule = scheduleOf(purgeIpAddressesJob, t.ctx.config) ?? '';
    const runs = new Cron(schedule, { timezone: 'UTC', paused: true }).nextRuns(200, new Date(t.clock.now()));
    const times = runs.map((run) => run.getTime());
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? time));
    // An IP expires 23 h after collection: a run at least every hour has it gone within 24 h.
    expect(times.length).toBeGreaterThanOrEqual(25);
    expect(Math.max(...gaps), schedule).toBeLessThanOrEqual(HOUR_MS);
  });
});
