import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedSceneAccount, seedSceneConversation, type SceneAccount } from '../domain/erasure/test-scene.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { eraseConversationBatch, type ErasureProgress, type ErasureTurns } from './erase-conversation-rows.js';
import { restoreConversationWords } from './erasure-repository.js';
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
  /** Turns with nothing waiting, so the batch never gives way; `ending` says whether the main thread waits to write. */
  const nothingWaits = (ending: () => boolean): ErasureTurns => ({
    waiting: async () => false,
    giveWay: async () => {
      throw new Error('Nothing waits: the batch has no turn to give');
    },
    unflushed: (work) => work(),
    ending,
  });
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
  /** How many words of the search index each of `ids` has. */
  const wordsOf = async (ids: readonly string[]) => {
    const rows = await db()
      .selectFrom('conversation_tokens')
      .select('conversation_id')
      .where('conversation_id', 'in', ids)
      .execute();
    return ids.map((id) => rows.filter((row) => row.conversation_id === id).length);
  };
  /** The words each of the seeded conversations has now, for a later wordsOf to compare with. */
  const seededWords = async () => {
    const words = await wordsOf(conversationIds);
    expect(words.every((count) => count > 0)).toBe(true);
    return (ids: readonly string[]) => ids.map((id) => words[conversationIds.indexOf(id)]);
  };

  it('commits each step on its own when messages wait, each with its audit entry and progress, giving way between them', async () => {
    const { turns, calls } = alwaysWaiting();
    await seededWords();
    const erased = await eraseConversationBatch(db(), batch(), turns);

    expect(erased).toMatchObject({ conversationIds, messages: 12 });
    expect(erased.keyIds).toHaveLength(4);
    const entries = await auditEntries();
    // The first step takes one conversation; later ones may take more when a step was quick.
    expect(entries.length).toBeGreaterThan(1);
    expect(JSON.parse(entries[0]?.target_ids ?? '[]')).toEqual([conversationIds[0]]);
    expect(entries.flatMap((entry) => JSON.parse(entry.target_ids) as string[])).toEqual(conversationIds);
    expect(entries.reduce((sum, entry) => sum + (entry.count ?? 0), 0)).toBe(12);
    // The first transactions took the batch's words, before any conversation went.
    expect(calls.unflushed).toBeGreaterThan(entries.length);
    expect(calls.givenWay).toBe(calls.unflushed - 1);
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
    const words = await seededWords();
    const erased = await eraseConversationBatch(db(), batch(), turns);

    // The first transactions took the words; the next erased a conversation, saw the cancel in its
    // save and committed.
    const entries = await auditEntries();
    expect(entries).toHaveLength(1);
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
    // The first transaction took the words of the whole batch; the last gave back those of the rest.
    expect(await wordsOf(left)).toEqual(words(left));
    const job = await db().selectFrom('jobs').select('progress_done').where('id', '=', jobId).executeTakeFirst();
    expect(job?.progress_done).toBe(gone.length);
  });

  it('answers what committed when a later transaction of the batch fails, and fails when the first one does', async () => {
    const words = await seededWords();
    /** Turns whose transaction fails once, the first time `fails` says so before it starts. */
    const failingOnce = (fails: (transaction: number) => Promise<boolean>) => {
      const calls = { transactions: 0, failed: 0 };
      const turns: ErasureTurns = {
        waiting: async () => true,
        giveWay: async () => {},
        unflushed: async (work) => {
          calls.transactions++;
          if (calls.failed === 0 && (await fails(calls.transactions))) {
            calls.failed = calls.transactions;
            throw new Error('disk I/O error');
          }
          return work();
        },
        ending: () => false,
      };
      return { turns, calls };
    };
    // The words go first, then the first conversation; the transaction after it fails.
    const afterFirst = failingOnce(async () => (await auditEntries()).length > 0);
    const erased = await eraseConversationBatch(db(), batch(), afterFirst.turns);
    expect(erased.conversationIds).toEqual([conversationIds[0]]);
    expect(erased.keyIds).toHaveLength(1);
    expect((await remaining()).map((row) => row.id)).toEqual(conversationIds.slice(1));
    // Given back in a transaction after the failed one.
    expect(afterFirst.calls.transactions).toBe(afterFirst.calls.failed + 1);
    expect(await wordsOf(conversationIds.slice(1))).toEqual(words(conversationIds.slice(1)));

    // Only words had gone when the second transaction failed: given back, and the batch fails.
    const second = failingOnce(async (transaction) => transaction === 2);
    await expect(
      eraseConversationBatch(db(), { ...batch(), conversationIds: conversationIds.slice(1) }, second.turns),
    ).rejects.toThrow('disk I/O error');
    expect(second.calls).toEqual({ transactions: 3, failed: 2 });
    expect((await remaining()).map((row) => row.id)).toEqual(conversationIds.slice(1));
    expect(await wordsOf(conversationIds.slice(1))).toEqual(words(conversationIds.slice(1)));

    // The words could not be given back either: the error says so, for the job's log and last error.
    const alsoRestore = failingOnce(async () => false);
    const failingFromSecond: ErasureTurns = {
      ...alsoRestore.turns,
      unflushed: async (work) => {
        alsoRestore.calls.transactions++;
        if (alsoRestore.calls.transactions >= 2) throw new Error('disk I/O error');
        return work();
      },
    };
    await expect(
      eraseConversationBatch(db(), { ...batch(), conversationIds: conversationIds.slice(1) }, failingFromSecond),
    ).rejects.toThrow(/disk I\/O error; the search words of 3 conversation\(s\) could not be given back either/);
    expect((await remaining()).map((row) => row.id)).toEqual(conversationIds.slice(1));
    expect(await wordsOf(conversationIds.slice(1))).toEqual([0, 0, 0]);
    await db()
      .transaction()
      .execute((trx) =>
        restoreConversationWords(trx, { accountId: acme.accountId, conversationIds: conversationIds.slice(1) }),
      );

    const first = failingOnce(async (transaction) => transaction === 1);
    await expect(
      eraseConversationBatch(db(), { ...batch(), conversationIds: conversationIds.slice(1) }, first.turns),
    ).rejects.toThrow('disk I/O error');
    expect((await remaining()).map((row) => row.id)).toEqual(conversationIds.slice(1));
    expect(await wordsOf(conversationIds.slice(1))).toEqual(words(conversationIds.slice(1)));
  });

  it('puts every step in one transaction while nothing waits', async () => {
    await seededWords();
    const erased = await eraseConversationBatch(
      db(),
      batch(),
      nothingWaits(() => false),
    );

    expect(erased).toMatchObject({ conversationIds, messages: 12, processed: 4 });
    const entries = await auditEntries();
    expect(entries.map((entry) => JSON.parse(entry.target_ids) as string[])).toEqual([conversationIds]);
    expect(erased.progress?.cursor.totals.conversations).toBe(4);
  });

  it('ends at the commit after its first erased conversation when the main thread asks, giving the words of the rest back', async () => {
    let ending = false;
    const turns: ErasureTurns = {
      // Asked to end during the first transaction, while it deletes words: it goes on to erase one
      // conversation, then commits and ends.
      waiting: async () => {
        ending = true;
        return false;
      },
      giveWay: async () => {},
      unflushed: (work) => work(),
      ending: () => ending,
    };
    const words = await seededWords();
    const erased = await eraseConversationBatch(db(), batch(), turns);

    expect(await auditEntries()).toHaveLength(1);
    expect(erased).toMatchObject({ conversationIds: [conversationIds[0]], processed: 1 });
    const left = conversationIds.slice(1);
    expect((await remaining()).map((row) => row.id)).toEqual(left);
    expect(await wordsOf(left)).toEqual(words(left));
  });

  it('takes no words ahead while the main thread waits to write: erases one step and ends, the words going with the rows', async () => {
    const words = await seededWords();
    const erased = await eraseConversationBatch(
      db(),
      batch(),
      nothingWaits(() => true),
    );

    expect(erased).toMatchObject({ conversationIds: [conversationIds[0]], processed: 1 });
    const left = conversationIds.slice(1);
    expect((await remaining()).map((row) => row.id)).toEqual(left);
    expect(await wordsOf(conversationIds)).toEqual([0, ...words(left)]);
  });

  it('erases everything in one transaction without turns', async () => {
    const erased = await eraseConversationBatch(db(), batch());
    expect(erased).toMatchObject({ conversationIds, messages: 12 });
    expect(await auditEntries()).toHaveLength(1);
  });
});
