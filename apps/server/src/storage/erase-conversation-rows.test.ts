import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedSceneAccount, seedSceneConversation, type SceneAccount } from '../domain/erasure/test-scene.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { eraseConversationBatch, type ErasureProgress, type ErasureTurns } from './erase-conversation-rows.js';
import { claimJob, insertJob, requestCancel } from './jobs-repository.js';

const NODE = 'node-1';
const totals = { conversations: 0, messages: 0, attachments: 0, contacts: 0 };

describe(`an erasure batch that takes turns (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  let conversationIds: string[];
  let progress: ErasureProgress;
  let jobId: string;
  beforeEach(async () => {
    t = await createTestContext();
    acme = await seedSceneAccount(t.ctx, 'Acme');
    conversationIds = [];
    for (let i = 0; i < 4; i++) {
      conversationIds.push(
        (await seedSceneConversation(t.ctx, { account: acme, messages: 3, close: true })).conversationId,
      );
    }
    jobId = randomUUID();
    const now = t.clock.now();
    const job = { id: jobId, name: 'delete-conversations', payload: '{}', accountId: acme.accountId, runAt: now, now };
    await insertJob(t.ctx.database.db, { ...job, unit: 'conversations' });
    const names = ['delete-conversations'];
    const claimed = await claimJob(t.ctx.database.db, {
      dialect: t.ctx.database.dialect,
      names,
      nodeId: NODE,
      now,
      leaseMs: 60_000,
    });
    if (!claimed?.locked_until) throw new Error('The job was not claimed');
    progress = {
      job: { id: jobId, nodeId: NODE, lockedUntil: claimed.locked_until },
      total: 4,
      cursor: { totals },
    };
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const batch = () => ({
    accountId: acme.accountId,
    conversationIds,
    reason: 'bulk delete',
    now: t.clock.now(),
    audit: { action: 'conversations.erased', actorKind: 'cli' as const, actorId: null },
    progress,
  });
  /** Turns with messages always waiting: each step of the batch ends its transaction. */
  const alwaysWaiting = (onGiveWay: () => Promise<void> = async () => {}) => {
    const calls = { unflushed: 0, givenWay: 0 };
    const turns: ErasureTurns = {
      waiting: async () => true,
      giveWay: async () => {
        calls.givenWay++;
        await onGiveWay();
      },
      unflushed: (work) => {
        calls.unflushed++;
        return work();
      },
      ending: () => false,
    };
    return { turns, calls };
  };
  const auditEntries = () =>
    db()
      .selectFrom('audit_log')
      .select(['target_ids', 'count'])
      .where('action', '=', 'conversations.erased')
      .orderBy('id')
      .execute();
  /** The ids of the seeded conversations still there, in their seeded order. */
  const remaining = async () => {
    const rows = await db().selectFrom('conversations').select('id').where('id', 'in', conversationIds).execute();
    return conversationIds.filter((id) => rows.some((row) => row.id === id)).map((id) => ({ id }));
  };

  it('commits each step on its own when messages wait, each with its audit entry and progress, giving way between them', async () => {
    const { turns, calls } = alwaysWaiting();
    const erased = await eraseConversationBatch(db(), batch(), turns);

    expect(erased).toMatchObject({ conversationIds, messages: 12 });
    expect(erased.keyIds).toHaveLength(4);
    const entries = await auditEntries();
    // The first step takes one conversation; later ones may take more when a step was quick.
    expect(entries.length).toBeGreaterThan(1);
    expect(JSON.parse(entries[0]?.target_ids ?? '[]')).toEqual([conversationIds[0]]);
    expect(entries.flatMap((entry) => JSON.parse(entry.target_ids) as string[])).toEqual(conversationIds);
    expect(entries.reduce((sum, entry) => sum + (entry.count ?? 0), 0)).toBe(12);
    expect(calls).toEqual({ unflushed: entries.length, givenWay: entries.length - 1 });
    expect(erased.progress).toMatchObject({
      held: true,
      cancelRequested: false,
      cursor: { totals: { conversations: 4 } },
    });
    const job = await db()
      .selectFrom('jobs')
      .select(['progress_done', 'cursor'])
      .where('id', '=', jobId)
      .executeTakeFirst();
    expect(job?.progress_done).toBe(4);
    expect(JSON.parse(job?.cursor ?? '{}')).toMatchObject({ totals: { conversations: 4, messages: 12 } });
    expect(await remaining()).toEqual([]);
  });

  it('stops after the first transaction that sees a cancel: the rest of the batch stays whole, the progress counts what went', async () => {
    const { turns } = alwaysWaiting(async () => {
      await requestCancel(db(), { id: jobId, accountId: acme.accountId, now: t.clock.now() });
    });
    const erased = await eraseConversationBatch(db(), batch(), turns);

    // The first transaction erased one conversation; the second saw the cancel in its save and committed.
    const entries = await auditEntries();
    expect(entries).toHaveLength(2);
    const gone = entries.flatMap((entry) => JSON.parse(entry.target_ids) as string[]);
    expect(erased.conversationIds).toEqual(gone);
    expect(erased.progress).toMatchObject({
      cancelRequested: true,
      cursor: { totals: { conversations: gone.length } },
    });
    const left = conversationIds.filter((id) => !gone.includes(id));
    expect(left.length).toBeGreaterThan(0);
    expect((await remaining()).map((row) => row.id)).toEqual(left);
    const messages = await db().selectFrom('messages').select('id').where('conversation_id', 'in', left).execute();
    expect(messages).toHaveLength(3 * left.length);
    const job = await db().selectFrom('jobs').select('progress_done').where('id', '=', jobId).executeTakeFirst();
    expect(job?.progress_done).toBe(gone.length);
  });

  it('answers what committed when a later transaction of the batch fails, and fails when the first one does', async () => {
    let transactions = 0;
    const failing = (which: number): ErasureTurns => ({
      waiting: async () => true,
      giveWay: async () => {},
      unflushed: (work) => {
        transactions++;
        if (transactions === which) throw new Error('disk I/O error');
        return work();
      },
      ending: () => false,
    });
    const erased = await eraseConversationBatch(db(), batch(), failing(2));
    expect(erased.conversationIds).toEqual([conversationIds[0]]);
    expect(erased.keyIds).toHaveLength(1);
    expect((await remaining()).map((row) => row.id)).toEqual(conversationIds.slice(1));

    transactions = 0;
    await expect(
      eraseConversationBatch(db(), { ...batch(), conversationIds: conversationIds.slice(1) }, failing(1)),
    ).rejects.toThrow('disk I/O error');
    expect((await remaining()).map((row) => row.id)).toEqual(conversationIds.slice(1));
  });

  it('puts several steps in one transaction while nothing waits, and ends the batch at its commit when asked to', async () => {
    let waited = 0;
    let ending = false;
    const turns: ErasureTurns = {
      // Nothing waits after the first step; after the second, something does.
      waiting: async () => ++waited >= 2,
      giveWay: async () => {
        // The main thread asks to write: the batch stops after its next transaction.
        ending = true;
      },
      unflushed: (work) => work(),
      ending: () => ending,
    };
    const erased = await eraseConversationBatch(db(), batch(), turns);

    const entries = await auditEntries();
    expect(entries).toHaveLength(2);
    const first = JSON.parse(entries[0]?.target_ids ?? '[]') as string[];
    // The first transaction took at least the first two steps (a conversation each, or more).
    expect(first.length).toBeGreaterThanOrEqual(2);
    expect(erased.conversationIds).toEqual(entries.flatMap((entry) => JSON.parse(entry.target_ids) as string[]));
    expect(erased.conversationIds).toEqual(conversationIds.slice(0, erased.conversationIds.length));
    expect(erased.progress?.cursor.totals.conversations).toBe(erased.conversationIds.length);
  });

  it('erases everything in one transaction without turns', async () => {
    const erased = await eraseConversationBatch(db(), batch());
    expect(erased).toMatchObject({ conversationIds, messages: 12 });
    expect(await auditEntries()).toHaveLength(1);
  });
});
