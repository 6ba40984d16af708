import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { insertContact } from '../../storage/contacts-repository.js';
import type { Database } from '../../storage/database.js';
import { sumRollups } from '../../storage/rollup-sums.js';
import { allRollups } from '../../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import {
  BatchSizer,
  MAX_MESSAGES_PER_BATCH,
  splitIntoBatches,
  TARGET_BATCH_MS_WITH_TURNS,
  TARGET_TRANSACTION_MS,
} from './batches.js';
import { eraseConversations } from './erase-conversations.js';
import { listenForCloses, seedSceneAccount, seedSceneConversation, type SceneAccount } from './test-scene.js';

const audit = { action: 'conversations.erased', actorKind: 'cli', actorId: null } as const;

describe(`eraseConversations (${testDialect})`, () => {
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
  const keysOf = (subjectIds: string[]) =>
    db()
      .selectFrom('keyring')
      .select(['subject_id', 'wrapped_key', 'destroyed_at'])
      .where('subject_id', 'in', subjectIds)
      .execute();

  it('erases a batch in one go: rows, tokens, files and keys, contacts and visitors left with nothing, one audit entry', async () => {
    const shared = await insertContact(t.ctx.store, { accountId: acme.accountId, name: 'Shared', now: t.clock.now() });
    const first = await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada', close: true });
    const second = await seedSceneConversation(t.ctx, { account: acme, contactId: shared, close: true });
    const kept = await seedSceneConversation(t.ctx, { account: acme, contactId: shared, close: true });
    const ids = [first.conversationId, second.conversationId];
    const before = await rollups();
    t.clock.advance(1000);

    const erased = await eraseConversations(t.ctx, {
      accountId: acme.accountId,
      conversationIds: ids,
      reason: 'bulk delete',
      audit,
    });

    expect(erased).toMatchObject({ conversations: 2, messages: 5, attachments: 1, contacts: 1, visitors: 2 });
    expect(await db().selectFrom('conversations').select('id').execute()).toEqual([{ id: kept.conversationId }]);
    for (const table of ['messages', 'attachments', 'conversation_tokens'] as const) {
      expect(
        await db().selectFrom(table).select('conversation_id').where('conversation_id', 'in', ids).execute(),
      ).toEqual([]);
    }
    expect(await db().selectFrom('conversation_tokens').select('conversation_id').execute()).not.toEqual([]);
    expect((await db().selectFrom('contacts').select('id').execute()).map((c) => c.id)).toEqual([shared]);
    expect((await db().selectFrom('visitors').select('id').execute()).map((v) => v.id)).toEqual([
      kept.visitor.visitorId,
    ]);
    const destroyed = await keysOf([...ids, first.contactId ?? '']);
    expect(destroyed).toHaveLength(3);
    for (const key of destroyed) expect(key).toMatchObject({ wrapped_key: null, destroyed_at: t.clock.now() });
    expect((await keysOf([shared, kept.conversationId])).every((key) => key.wrapped_key !== null)).toBe(true);
    for (const file of first.files) expect(await t.ctx.fileStore.get(file)).toBeUndefined();
    const records = await db().selectFrom('erasure_records').select(['subject_kind', 'subject_id', 'reason']).execute();
    expect(records).toHaveLength(3);
    expect(records).toEqual(
      expect.arrayContaining([
        { subject_kind: 'contact', subject_id: first.contactId, reason: 'bulk delete' },
        ...ids.map((id) => ({ subject_kind: 'conversation', subject_id: id, reason: 'bulk delete' })),
      ]),
    );
    const entries = await listAuditEntries(db(), { accountId: acme.accountId, limit: 10 });
    expect(entries.filter((e) => e.action === 'conversations.erased')).toEqual([
      expect.objectContaining({ actorKind: 'cli', targetKind: 'conversation', count: 5 }),
    ]);
    expect([...(entries[0]?.targetIds ?? [])].sort()).toEqual([...ids, first.contactId].sort());
    expect(await rollups()).toEqual(before);
  });

  it('ends the conversations still waiting or open as the system, heard by operators and visitors, and leaves every rollup row as it was', async () => {
    const open = await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId });
    const waiting = await seedSceneConversation(t.ctx, { account: acme });
    const ids = [open.conversationId, waiting.conversationId];
    t.clock.advance(60_000);
    const before = await rollups();
    expect(before.length, 'the chats were counted as they went').toBeGreaterThan(0);
    const heard = await listenForCloses(t.ctx, { accountId: acme.accountId, conversationIds: ids });

    try {
      await eraseConversations(t.ctx, {
        accountId: acme.accountId,
        conversationIds: ids,
        reason: 'bulk delete',
        audit,
      });
      await vi.waitFor(() => {
        expect(heard.inbox).toHaveLength(2);
        expect(heard.windows).toHaveLength(2);
      });
    } finally {
      await heard.stop();
    }

    expect(heard.inbox).toEqual(
      expect.arrayContaining(ids.map((conversationId) => ({ conversationId, closedBy: 'system' }))),
    );
    expect([...heard.windows].sort()).toEqual([...ids].sort());
    expect(await rollups()).toEqual(before);
    expect(await db().selectFrom('conversations').select('id').execute()).toEqual([]);
  });

  it('erases, with contactId, only what is still linked to that contact, closing it as asked, and with audit: null writes no entry', async () => {
    const contactId = await insertContact(t.ctx.store, { accountId: acme.accountId, name: 'Ada', now: t.clock.now() });
    const theirs = await seedSceneConversation(t.ctx, { account: acme, contactId, operatorId: acme.ownerId });
    const others = await seedSceneConversation(t.ctx, { account: acme, contactName: 'Bo' });
    const ids = [theirs.conversationId, others.conversationId];
    t.clock.advance(30_000);
    const operator = { kind: 'operator', accountId: acme.accountId, operatorId: acme.ownerId } as const;

    const erased = await eraseConversations(t.ctx, {
      accountId: acme.accountId,
      conversationIds: ids,
      contactId,
      reason: 'operator request',
      audit: null,
      end: { by: operator, counted: true },
    });

    expect(erased).toMatchObject({ conversationIds: [theirs.conversationId], conversations: 1, contacts: 1 });
    const left = await db().selectFrom('conversations').select(['id', 'status']).execute();
    expect(left).toEqual([{ id: others.conversationId, status: 'waiting' }]);
    const closed = (await sumRollups(db(), { accountId: acme.accountId, fromDay: '0000-01-01', toDay: '9999-12-31' }))
      .filter(({ metric }) => metric === 'conversations.closed' || metric === 'duration.total_ms')
      .map(({ metric, value }) => ({ metric, value }));
    expect(closed).toEqual([
      { metric: 'conversations.closed', value: 1 },
      { metric: 'duration.total_ms', value: 30_000 },
    ]);
    expect(await listAuditEntries(db(), { accountId: acme.accountId, limit: 10 })).toEqual([]);
  });

  it("skips another account's conversations and unknown ids, and writes nothing for a batch it found empty", async () => {
    const beta = await seedSceneAccount(t.ctx, 'Beta');
    const theirs = await seedSceneConversation(t.ctx, { account: beta, close: true });
    const ids = [theirs.conversationId, '00000000-0000-4000-8000-000000000000'];

    const erased = await eraseConversations(t.ctx, {
      accountId: acme.accountId,
      conversationIds: ids,
      reason: 'bulk delete',
      audit,
    });

    expect(erased).toMatchObject({ conversations: 0, messages: 0 });
    expect(await db().selectFrom('conversations').select('id').execute()).toEqual([{ id: theirs.conversationId }]);
    expect(await db().selectFrom('messages').select('id').execute()).toHaveLength(2);
    expect((await keysOf([theirs.conversationId]))[0]?.wrapped_key).not.toBeNull();
    expect(await db().selectFrom('erasure_records').select('id').execute()).toEqual([]);
    expect(await listAuditEntries(db(), { accountId: acme.accountId, limit: 10 })).toEqual([]);
  });
  it('sends the rest again when the database answers for part of a batch, forgetting and removing what each part erased', async () => {
    const seeded = [
      await seedSceneConversation(t.ctx, { account: acme, file: true, close: true }),
      await seedSceneConversation(t.ctx, { account: acme, file: true, close: true }),
      await seedSceneConversation(t.ctx, { account: acme, file: true, close: true }),
    ];
    const ids = seeded.map((c) => c.conversationId);
    const asked: string[][] = [];
    const real = t.ctx.database.eraseBatch;
    // As a batch that ended after its first conversation (a hold of the writer thread) answers.
    const eraseBatch: Database['eraseBatch'] = (batch) => {
      asked.push([...batch.conversationIds]);
      return real({ ...batch, conversationIds: batch.conversationIds.slice(0, 1) });
    };
    const forget = vi.spyOn(t.ctx.keyring, 'forget');

    const erased = await eraseConversations(
      { ...t.ctx, database: { ...t.ctx.database, eraseBatch } },
      { accountId: acme.accountId, conversationIds: ids, reason: 'bulk delete', audit },
    );

    expect(asked).toEqual([ids, ids.slice(1), ids.slice(2)]);
    expect(erased).toMatchObject({ conversationIds: ids, conversations: 3, messages: 9, attachments: 3 });
    expect(await db().selectFrom('conversations').select('id').where('id', 'in', ids).execute()).toEqual([]);
    expect(forget.mock.calls).toHaveLength(3);
    for (const file of seeded.flatMap((c) => c.files)) expect(await t.ctx.fileStore.get(file)).toBeUndefined();
  });
});

describe('erasure batches', () => {
  const sized = (...lastSeqs: number[]) => lastSeqs.map((lastSeq, i) => ({ id: `c${i}`, lastSeq }));

  it('splits conversations into batches of bounded messages, a bigger conversation alone, never split', () => {
    const batches = splitIntoBatches(sized(400, 500, 300, 5000, 10, 0), 1000);
    expect(batches.map((batch) => batch.map((c) => c.lastSeq))).toEqual([[400, 500], [300], [5000], [10, 0]]);
    expect(splitIntoBatches(sized(...Array<number>(450).fill(0)), 1000).map((b) => b.length)).toEqual([200, 200, 50]);
  });

  it('sizes batches toward the target transaction time, within their bounds', () => {
    const sizer = new BatchSizer({ erasureTakesTurns: false });
    const first = sizer.maxMessages;
    sizer.record({ messages: first, transactionMs: 250 });
    expect(sizer.maxMessages).toBeLessThan(first);
    for (let i = 0; i < 20; i++) sizer.record({ messages: sizer.maxMessages, transactionMs: 1 });
    expect(sizer.maxMessages).toBe(MAX_MESSAGES_PER_BATCH);
    for (let i = 0; i < 20; i++) sizer.record({ messages: sizer.maxMessages, transactionMs: 10_000 });
    expect(sizer.maxMessages).toBe(50);
  });

  it('sizes batches that take turns toward a longer time: a message does not wait for the whole batch', () => {
    // 0.02 ms a message: 1,000 messages in 20 ms, 2,000 in 40.
    const settle = (sizer: BatchSizer) => {
      for (let i = 0; i < 20; i++) sizer.record({ messages: sizer.maxMessages, transactionMs: sizer.maxMessages / 50 });
      return sizer.maxMessages;
    };
    expect(settle(new BatchSizer({ erasureTakesTurns: false }))).toBe(Math.round(TARGET_TRANSACTION_MS * 50));
    expect(settle(new BatchSizer({ erasureTakesTurns: true }))).toBe(Math.round(TARGET_BATCH_MS_WITH_TURNS * 50));
  });
});
