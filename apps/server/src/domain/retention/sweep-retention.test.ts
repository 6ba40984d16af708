import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jobDefinitions } from '../../jobs/registry.js';
import { sweepRetentionJob } from '../../jobs/sweep-retention.js';
import { runJobsNow } from '../../jobs/worker.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { dataMap } from '../../storage/data-map.js';
import { insertVisitor } from '../../storage/widgets-repository.js';
import { findRaw, rawDatabase } from '../../test-support/raw-database.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import {
  listenForCloses,
  seedSceneAccount,
  seedSceneConversation,
  type SceneAccount,
  type SceneConversation,
} from '../erasure/test-scene.js';
import { retentionCutoff, sweepRetention } from './sweep-retention.js';
import { allConversationIds, allRollups } from '../../test-support/table-snapshots.js';

const at = (iso: string) => Date.parse(iso);

describe('the retention cutoff', () => {
  it('goes back whole calendar months in UTC, keeping the time of day', () => {
    expect(retentionCutoff({ now: at('2026-01-15T12:34:56.789Z'), months: 1 })).toBe(at('2025-12-15T12:34:56.789Z'));
    expect(retentionCutoff({ now: at('2026-01-15T00:00:00.000Z'), months: 12 })).toBe(at('2025-01-15T00:00:00.000Z'));
    expect(retentionCutoff({ now: at('2026-06-30T23:59:59.999Z'), months: 36 })).toBe(at('2023-06-30T23:59:59.999Z'));
  });

  it('lands on the last day of a shorter month: March 31 minus one month is February 28, or 29', () => {
    expect(retentionCutoff({ now: at('2026-03-31T10:00:00.000Z'), months: 1 })).toBe(at('2026-02-28T10:00:00.000Z'));
    expect(retentionCutoff({ now: at('2024-03-31T10:00:00.000Z'), months: 1 })).toBe(at('2024-02-29T10:00:00.000Z'));
    expect(retentionCutoff({ now: at('2026-05-31T10:00:00.000Z'), months: 1 })).toBe(at('2026-04-30T10:00:00.000Z'));
    expect(retentionCutoff({ now: at('2027-02-28T10:00:00.000Z'), months: 12 })).toBe(at('2026-02-28T10:00:00.000Z'));
  });
});

describe('what the retention sweep reaches', () => {
  it('is every table the data map gives transcript retention: a new one fails here until the sweep erases it', () => {
    const transcriptTables = Object.entries(dataMap)
      .filter(([, columns]) => Object.values(columns).some((column) => column.retention === 'transcript'))
      .map(([table]) => table)
      .sort();
    // Conversations with their messages, files and search tokens (erasure), and the visitors left.
    expect(transcriptTables).toEqual(['attachments', 'conversation_tokens', 'conversations', 'messages', 'visitors']);
  });
});

describe(`sweepRetention (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  beforeEach(async () => {
    t = await createTestContext();
    acme = await seedSceneAccount(t.ctx, 'Acme');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const rollups = () => allRollups(db());
  const conversationIds = () => allConversationIds(db());
  const setRetention = (account: SceneAccount, months: number) =>
    db().updateTable('accounts').set({ retention_months: months }).where('id', '=', account.accountId).execute();
  /** Moves the clock to `now`, forward only. */
  const moveTo = (now: number) => t.clock.advance(now - t.clock.now());

  for (const months of [1, 12, 36]) {
    it(`keeps a transcript one millisecond inside a ${months}-month window and erases one a millisecond over`, async () => {
      await setRetention(acme, months);
      const start = t.clock.now();
      const over = await seedSceneConversation(t.ctx, { account: acme, close: true });
      t.clock.advance(1);
      const atTheEdge = await seedSceneConversation(t.ctx, { account: acme, close: true });
      t.clock.advance(1);
      const inside = await seedSceneConversation(t.ctx, { account: acme, close: true });
      // The same day of the month `months` later, one millisecond after the first close.
      const startDate = new Date(start);
      const now = Date.UTC(
        startDate.getUTCFullYear(),
        startDate.getUTCMonth() + months,
        startDate.getUTCDate(),
        startDate.getUTCHours(),
        startDate.getUTCMinutes(),
        startDate.getUTCSeconds(),
        startDate.getUTCMilliseconds() + 1,
      );
      moveTo(now);
      expect(retentionCutoff({ now, months })).toBe(start + 1);

      expect(await sweepRetention(t.ctx)).toMatchObject({ accounts: 1, conversations: 1, messages: 2 });

      expect(await conversationIds()).toEqual([atTheEdge.conversationId, inside.conversationId].sort());
      expect(
        await db()
          .selectFrom('messages')
          .select('conversation_id')
          .where('conversation_id', '=', over.conversationId)
          .execute(),
      ).toEqual([]);
    });
  }

  it('erases transcripts, files, keys and contacts past the window, leaves the rollups, and no trace in the raw database', async () => {
    const beta = await seedSceneAccount(t.ctx, 'Beta');
    await setRetention(beta, 36);
    const old = [
      await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada', rating: 5 }),
      await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId, close: true }),
    ];
    const ofBeta = await seedSceneConversation(t.ctx, { account: beta, close: true });
    const idle = await insertVisitor(db(), { accountId: acme.accountId, widgetId: acme.widgetId, now: t.clock.now() });
    t.clock.advance(90 * 24 * 60 * 60 * 1000);
    const recent = await seedSceneConversation(t.ctx, { account: acme, close: true });
    const idleRecently = await insertVisitor(db(), { ...acme, now: t.clock.now() });
    const oldIds = old.map((c) => c.conversationId);
    const sealed = (
      await db().selectFrom('messages').select('body_sealed').where('conversation_id', 'in', oldIds).execute()
    ).map((m) => m.body_sealed);
    const keys = await db().selectFrom('keyring').select('wrapped_key').where('subject_id', 'in', oldIds).execute();
    const before = await rollups();
    t.clock.advance(300 * 24 * 60 * 60 * 1000);

    const totals = await sweepRetention(t.ctx);

    expect(totals).toEqual({ accounts: 1, conversations: 2, messages: 5, attachments: 1, contacts: 1, visitors: 3 });
    const visitors = (await db().selectFrom('visitors').select('id').execute()).map((v) => v.id);
    expect(visitors.sort()).toEqual([ofBeta.visitor.visitorId, recent.visitor.visitorId, idleRecently].sort());
    expect(visitors).not.toContain(idle);
    expect(await conversationIds()).toEqual([ofBeta.conversationId, recent.conversationId].sort());
    expect(await rollups()).toEqual(before);
    for (const file of old[0]?.files ?? []) expect(await t.ctx.fileStore.get(file)).toBeUndefined();
    const destroyed = await db()
      .selectFrom('keyring')
      .select(['wrapped_key', 'destroyed_at'])
      .where('subject_id', 'in', [...oldIds, old[0]?.contactId ?? ''])
      .execute();
    expect(destroyed).toEqual(Array(3).fill({ wrapped_key: null, destroyed_at: t.clock.now() }));
    expect(await db().selectFrom('contacts').select('id').execute()).toEqual([]);
    const raw = rawDatabase(t);
    expect(
      findRaw(
        raw,
        old.flatMap((c) => c.markers),
      ),
    ).toEqual([]);
    expect(findRaw(raw, [...sealed, ...keys.flatMap((k) => (k.wrapped_key ? [k.wrapped_key] : []))])).toEqual([]);
    const reasons = await db().selectFrom('erasure_records').select('reason').distinct().execute();
    expect(reasons).toEqual([{ reason: 'retention' }]);
    const [entry] = await listAuditEntries(db(), { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({ action: 'conversations.expired', actorKind: 'system', actorId: null, count: 5 });
  });

  it('leaves every rollup row as it was when it erases conversations left waiting or open, which operators and visitors hear end', async () => {
    await setRetention(acme, 1);
    const unclosed = [
      await seedSceneConversation(t.ctx, { account: acme }),
      await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId }),
    ];
    await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId, rating: 4 });
    const ids = unclosed.map((c) => c.conversationId);
    // Forty days on: a close the sweep counted would add to another day's rows, or make new ones.
    t.clock.advance(40 * 24 * 60 * 60 * 1000);
    const before = await rollups();
    expect(before.length, 'the chats were counted as they went').toBeGreaterThan(0);
    const heard = await listenForCloses(t.ctx, { accountId: acme.accountId, conversationIds: ids });

    try {
      expect(await sweepRetention(t.ctx)).toMatchObject({ conversations: 3 });
      await vi.waitFor(() => {
        expect(heard.inbox).toHaveLength(2);
        expect(heard.windows).toHaveLength(2);
      });
    } finally {
      await heard.stop();
    }

    expect(await rollups()).toEqual(before);
    expect(heard.inbox).toEqual(
      expect.arrayContaining(ids.map((conversationId) => ({ conversationId, closedBy: 'system' }))),
    );
    expect(await conversationIds()).toEqual([]);
  });

  it('erases a conversation left open past the window by its last change, closing it first', async () => {
    await setRetention(acme, 1);
    const stale = await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId });
    t.clock.advance(20 * 24 * 60 * 60 * 1000);
    const lively = await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId });
    t.clock.advance(20 * 24 * 60 * 60 * 1000);

    expect(await sweepRetention(t.ctx)).toMatchObject({ conversations: 1 });

    expect(await conversationIds()).toEqual([lively.conversationId]);
    expect(stale.conversationId).not.toBe(lively.conversationId);
  });

  it('goes on after a sweep that died between batches, finding what is left; the one that died scrubbed what it erased', async () => {
    await setRetention(acme, 1);
    const seeded: SceneConversation[] = [];
    for (let i = 0; i < 3; i++) seeded.push(await seedSceneConversation(t.ctx, { account: acme, close: true }));
    // A last seq of 400 bounds 400 messages: one conversation a batch.
    await db().updateTable('conversations').set({ last_seq: 400 }).execute();
    const sealedOf = async (conversationId: string) =>
      (
        await db().selectFrom('messages').select('body_sealed').where('conversation_id', '=', conversationId).execute()
      ).map((m) => m.body_sealed);
    const sealed = new Map<string, Uint8Array[]>();
    for (const c of seeded) sealed.set(c.conversationId, await sealedOf(c.conversationId));
    t.clock.advance(40 * 24 * 60 * 60 * 1000);

    const dying = sweepRetention(t.ctx, {
      onBatch: async () => {
        throw new Error('The node died');
      },
    });
    await expect(dying).rejects.toThrow('The node died');
    const left = await conversationIds();
    expect(left).toHaveLength(2);
    const gone = seeded.filter((c) => !left.includes(c.conversationId));
    expect(gone).toHaveLength(1);
    const goneSealed = sealed.get(gone[0]?.conversationId ?? '') ?? [];
    expect(goneSealed.length).toBeGreaterThan(0);
    expect(
      findRaw(
        rawDatabase(t),
        goneSealed.map((bytes) => Buffer.from(bytes)),
      ),
    ).toEqual([]);

    expect(await sweepRetention(t.ctx)).toMatchObject({ conversations: 2 });
    expect(await conversationIds()).toEqual([]);
  });

  it('runs hourly as the sweep-retention job and sums up what it erased', async () => {
    await setRetention(acme, 1);
    await seedSceneConversation(t.ctx, { account: acme, close: true });
    t.clock.advance(40 * 24 * 60 * 60 * 1000);

    expect(await runJobsNow(t.ctx, { definitions: [sweepRetentionJob] })).toBe(1);

    const job = await db()
      .selectFrom('jobs')
      .selectAll()
      .where('name', '=', 'sweep-retention')
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'done', progress_done: 1, progress_total: 1, progress_unit: 'conversations' });
    expect(JSON.parse(job.result ?? '{}')).toEqual({
      accounts: 1,
      conversations: 1,
      messages: 2,
      attachments: 0,
      contacts: 0,
      visitors: 1,
    });
    expect(job.schedule_key).toMatch(/^sweep-retention@/);
    expect(jobDefinitions).toContain(sweepRetentionJob);
    expect(sweepRetentionJob.schedule).toMatch(/^\d+ \* \* \* \*$/);
    expect(await conversationIds()).toEqual([]);
  });
});
