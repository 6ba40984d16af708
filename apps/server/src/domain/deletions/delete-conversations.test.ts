import type { DeletionFilter } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deleteConversationsJob } from '../../jobs/delete-conversations.js';
import { defineJob } from '../../jobs/job.js';
import { jobDefinitions } from '../../jobs/registry.js';
import { runJobsNow } from '../../jobs/worker.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { insertContact } from '../../storage/contacts-repository.js';
import { insertConversation } from '../../storage/conversations-repository.js';
import type { Database } from '../../storage/database.js';
import { findJob } from '../../storage/jobs-repository.js';
import { findRaw, rawDatabase } from '../../test-support/raw-database.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import {
  addSceneWidget,
  listenForCloses,
  seedSceneAccount,
  seedSceneConversation,
  type SceneAccount,
  type SceneConversation,
} from '../erasure/test-scene.js';
import { MAX_CONVERSATIONS_PER_BATCH } from '../erasure/batches.js';
import { cancelJob } from '../jobs/cancel-job.js';
import type { CliActor } from '../principal.js';
import { startDeletion } from './start-deletion.js';
import { allConversationIds, allRollups } from '../../test-support/table-snapshots.js';

describe(`the delete-conversations job (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  let cli: CliActor;
  beforeEach(async () => {
    t = await createTestContext();
    acme = await seedSceneAccount(t.ctx, 'Acme');
    cli = { kind: 'cli', accountId: acme.accountId };
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const rollups = () => allRollups(db());
  const conversationIds = () => allConversationIds(db());
  const job = async (id: string) => findJob(db(), { id, accountId: null });

  /** The bytes of what the conversations held: their sealed bodies and file names, and their keys. */
  async function sealedBytesOf(ids: string[]): Promise<Buffer[]> {
    const bodies = await db()
      .selectFrom('messages')
      .select('body_sealed')
      .where('conversation_id', 'in', ids)
      .execute();
    const names = await db()
      .selectFrom('attachments')
      .select('file_name_sealed')
      .where('conversation_id', 'in', ids)
      .execute();
    const keys = await db().selectFrom('keyring').select('wrapped_key').where('subject_id', 'in', ids).execute();
    return [
      ...bodies.map((b) => b.body_sealed),
      ...names.map((n) => n.file_name_sealed),
      ...keys.flatMap((k) => (k.wrapped_key ? [k.wrapped_key] : [])),
    ];
  }

  it('erases what a date range matches, leaves the rest, the rollups and no trace of the erased in the raw database', async () => {
    const old = [
      await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada', close: true }),
      await seedSceneConversation(t.ctx, { account: acme, rating: 4 }),
    ];
    const from = t.clock.now();
    t.clock.advance(60_000);
    const recent = await seedSceneConversation(t.ctx, { account: acme, close: true });
    const erasedIds = old.map((c) => c.conversationId);
    const sealed = await sealedBytesOf(erasedIds);
    expect(sealed.length).toBeGreaterThan(4);
    const keptSealed = await sealedBytesOf([recent.conversationId]);
    const before = await rollups();
    t.clock.advance(1000);

    const started = await startDeletion(t.ctx, { by: cli, filter: { createdFrom: from, createdTo: from + 1 } });
    expect(started).toMatchObject({ name: 'delete-conversations', status: 'queued', total: 2, unit: 'conversations' });
    expect(jobDefinitions).toContain(deleteConversationsJob);
    await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });

    expect(await job(started.id)).toMatchObject({ status: 'done', progress_done: 2, progress_total: 2 });
    expect(JSON.parse((await job(started.id))?.result ?? '{}')).toEqual({
      conversations: 2,
      messages: 5,
      attachments: 1,
      contacts: 1,
    });
    expect(await conversationIds()).toEqual([recent.conversationId]);
    expect(await rollups()).toEqual(before);
    const keys = await db()
      .selectFrom('keyring')
      .select(['wrapped_key', 'destroyed_at'])
      .where('subject_id', 'in', [...erasedIds, old[0]?.contactId ?? ''])
      .execute();
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toEqual({ wrapped_key: null, destroyed_at: t.clock.now() });
    for (const file of old[0]?.files ?? []) expect(await t.ctx.fileStore.get(file)).toBeUndefined();

    const raw = rawDatabase(t);
    expect(findRaw(raw, keptSealed), 'the scan sees what is kept').not.toEqual([]);
    expect(
      findRaw(
        raw,
        old.flatMap((c) => c.markers),
      ),
    ).toEqual([]);
    expect(findRaw(raw, sealed)).toEqual([]);
    const [entry] = await listAuditEntries(db(), { accountId: acme.accountId, limit: 1 });
    expect(entry).toMatchObject({ action: 'conversations.erased', actorKind: 'cli', count: 5 });
  });

  it("erases all of a widget's conversations through the widget's own delete, and leaves the rollups", async () => {
    const shop = await addSceneWidget(t.ctx, acme);
    const ofShop = [
      await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, close: true, rating: 5 }),
      await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, operatorId: acme.ownerId, close: true }),
    ];
    const elsewhere = await seedSceneConversation(t.ctx, { account: acme, close: true });
    const before = await rollups();
    t.clock.advance(1);

    const started = await startDeletion(t.ctx, { by: cli, filter: { widgetId: shop } });
    await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });

    expect((await job(started.id))?.status).toBe('done');
    expect(await conversationIds()).toEqual([elsewhere.conversationId]);
    expect(await rollups()).toEqual(before);
    expect(
      findRaw(
        rawDatabase(t),
        ofShop.flatMap((c) => c.markers),
      ),
    ).toEqual([]);
  });

  it('leaves every rollup row as it was when it erases conversations still waiting or open, which operators and visitors hear end', async () => {
    const unclosed = [
      await seedSceneConversation(t.ctx, { account: acme }),
      await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId }),
    ];
    await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId, rating: 4 });
    const ids = unclosed.map((c) => c.conversationId);
    // A day on: a close the delete counted would add to another day's rows, or make new ones.
    t.clock.advance(24 * 60 * 60 * 1000);
    const before = await rollups();
    expect(before.length, 'the chats were counted as they went').toBeGreaterThan(0);
    const heard = await listenForCloses(t.ctx, { accountId: acme.accountId, conversationIds: ids });

    try {
      const started = await startDeletion(t.ctx, { by: cli, filter: { all: true } });
      await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });
      expect(await job(started.id)).toMatchObject({ status: 'done', progress_done: 3 });
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

  it('matches each criterion exactly, and never what started after the delete was asked for', async () => {
    const shop = await addSceneWidget(t.ctx, acme);
    type Scene = Record<'rated' | 'assigned' | 'onShop' | 'ofContact' | 'plain', SceneConversation>;
    const cases: [(scene: Scene) => DeletionFilter, (keyof Scene)[]][] = [
      [() => ({ rating: 2 }), ['rated']],
      [() => ({ operatorId: acme.ownerId }), ['assigned']],
      [() => ({ status: 'open' }), ['assigned']],
      [() => ({ status: 'closed', widgetId: shop }), ['onShop']],
      [(scene) => ({ contactId: scene.ofContact.contactId ?? '' }), ['ofContact']],
      [(scene) => ({ createdFrom: scene.plain.createdAt, createdTo: scene.plain.createdAt + 1 }), ['plain']],
    ];
    for (const [filterOf, expected] of cases) {
      // A new contact each time: the last one went with its last conversation.
      const contactId = await insertContact(t.ctx.store, { accountId: acme.accountId, name: 'Bo', now: t.clock.now() });
      const scene: Scene = {
        rated: await seedSceneConversation(t.ctx, { account: acme, rating: 2 }),
        assigned: await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId }),
        onShop: await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, close: true }),
        ofContact: await seedSceneConversation(t.ctx, { account: acme, contactId }),
        plain: await (async () => {
          t.clock.advance(10);
          const plain = await seedSceneConversation(t.ctx, { account: acme, close: true });
          t.clock.advance(10);
          return plain;
        })(),
      };
      const filter = filterOf(scene);
      t.clock.advance(1);
      await startDeletion(t.ctx, { by: cli, filter });
      // Started after the delete was asked for: safe, though it matches every filter but the range.
      const later = await seedSceneConversation(t.ctx, {
        account: acme,
        contactId,
        rating: 2,
        operatorId: acme.ownerId,
      });
      await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });
      const left = await conversationIds();
      const gone = Object.entries(scene)
        .filter(([, c]) => !left.includes(c.conversationId))
        .map(([name]) => name);
      expect(gone.sort(), JSON.stringify(filter)).toEqual([...expected].sort());
      expect(left).toContain(later.conversationId);
      t.clock.advance(1);
      await startDeletion(t.ctx, { by: cli, filter: { all: true } });
      await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });
    }
  });

  it("never touches another account's conversations, even with all: true", async () => {
    const beta = await seedSceneAccount(t.ctx, 'Beta');
    const theirs = await seedSceneConversation(t.ctx, { account: beta, file: true, close: true });
    await seedSceneConversation(t.ctx, { account: acme, close: true });
    t.clock.advance(1);

    await startDeletion(t.ctx, { by: cli, filter: { all: true } });
    await runJobsNow(t.ctx, { definitions: [deleteConversationsJob] });

    expect(await conversationIds()).toEqual([theirs.conversationId]);
    expect(await db().selectFrom('messages').select('id').execute()).toHaveLength(3);
    for (const file of theirs.files) expect(await t.ctx.fileStore.get(file)).toBeDefined();
    const key = await db()
      .selectFrom('keyring')
      .select('wrapped_key')
      .where('subject_id', '=', theirs.conversationId)
      .executeTakeFirst();
    expect(key?.wrapped_key).not.toBeNull();
  });

  /** Four closed conversations, erased one per batch: a last seq of 400 is a bound of 400 messages. */
  async function fourBatches(): Promise<void> {
    for (let i = 0; i < 4; i++) await seedSceneConversation(t.ctx, { account: acme, close: true });
    await db().updateTable('conversations').set({ last_seq: 400 }).execute();
    t.clock.advance(1);
  }

  it('erases in one pass more conversations of one millisecond than a read finds', async () => {
    // Closed and empty, so that a batch takes MAX_CONVERSATIONS_PER_BATCH of them: the read ahead of the
    // next batch, from the same created_at without the batch's ids, finds none left in its window. More
    // than the job's four rounds would erase at a batch each.
    const count = 4 * MAX_CONVERSATIONS_PER_BATCH + 1;
    const store = { db: db(), keyring: t.ctx.keyring };
    const now = t.clock.now();
    for (let i = 0; i < count; i++) {
      await insertConversation(store, { accountId: acme.accountId, widgetId: acme.widgetId, visitorId: null, now });
    }
    await db().updateTable('conversations').set({ status: 'closed', closed_at: now }).execute();
    t.clock.advance(1);

    const started = await startDeletion(t.ctx, { by: cli, filter: { all: true } });
    await runJobsNow(t.ctx);

    const done = await job(started.id);
    expect(done).toMatchObject({ status: 'done', progress_done: count, progress_total: count });
    expect(await conversationIds()).toEqual([]);
  });

  it('stops at the batch after a cancel, every batch before it whole and counted', async () => {
    await fourBatches();
    const cancelling = defineJob({
      ...deleteConversationsJob,
      run: (ctx, run) => {
        // Asked for once the first batch committed: the second batch's save hears of it.
        const eraseBatch: Database['eraseBatch'] = async (batch) => {
          const erased = await ctx.database.eraseBatch(batch);
          if (erased.progress?.cursor.totals.conversations === 1) await cancelJob(ctx, { by: null, jobId: run.id });
          return erased;
        };
        return deleteConversationsJob.run({ ...ctx, database: { ...ctx.database, eraseBatch } }, run);
      },
    });

    const started = await startDeletion(t.ctx, { by: cli, filter: { all: true } });
    await runJobsNow(t.ctx, { definitions: [cancelling] });

    const stopped = await job(started.id);
    expect(stopped).toMatchObject({ status: 'cancelled', progress_done: 2 });
    expect(JSON.parse(stopped?.cursor ?? '{}')).toMatchObject({ totals: { conversations: 2, messages: 4 } });
    expect(await conversationIds()).toHaveLength(2);
    expect(await db().selectFrom('messages').select('id').execute()).toHaveLength(4);
  });

  it('resumes a run that died after two batches where it was, and sums up the whole job', async () => {
    await fourBatches();
    const dying = defineJob({
      ...deleteConversationsJob,
      run: (ctx, run) =>
        deleteConversationsJob.run(ctx, {
          ...run,
          afterSave: (update, saved) => {
            run.afterSave(update, saved);
            if (update.done === 2 && run.done === 0) throw new Error('The node died');
          },
        }),
    });

    const started = await startDeletion(t.ctx, { by: cli, filter: { all: true } });
    await runJobsNow(t.ctx, { definitions: [dying] });
    expect(await job(started.id)).toMatchObject({ status: 'queued', progress_done: 2, last_error: 'The node died' });
    expect(await conversationIds()).toHaveLength(2);
    t.clock.advance(60_000);
    await runJobsNow(t.ctx, { definitions: [dying] });

    const done = await job(started.id);
    expect(done).toMatchObject({ status: 'done', progress_done: 4, progress_total: 4 });
    expect(JSON.parse(done?.result ?? '{}')).toMatchObject({ conversations: 4, messages: 8 });
    expect(await conversationIds()).toEqual([]);
  });
});
