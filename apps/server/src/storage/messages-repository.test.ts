import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { insertAccount } from './accounts-repository.js';
import { getConversation, insertConversation } from './conversations-repository.js';
import { insertMessage, listMessages } from './messages-repository.js';
import { inTransaction } from './sealed-store.js';
import { insertWidget } from './widgets-repository.js';

describe(`messages repository (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let conversationId: string;
  beforeEach(async () => {
    t = await createTestContext();
    const now = t.clock.now();
    accountId = randomUUID();
    const widgetId = await inTransaction(t.ctx.store, async (tx) => {
      await insertAccount(tx.db, { id: accountId, name: 'Acme', plan: 'standard', retentionMonths: 12, now });
      await tx.keyring.createAccountKey(tx.db, { accountId, now });
      return (await insertWidget(tx.db, { accountId, name: 'Website', now })).id;
    });
    conversationId = await insertConversation(t.ctx.store, { accountId, widgetId, visitorId: null, now });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const send = (body: string, clientMessageId: string = randomUUID(), target = conversationId) =>
    insertMessage(t.ctx.store, {
      accountId,
      conversationId: target,
      clientMessageId,
      authorKind: 'visitor',
      body,
      now: t.clock.now(),
    });

  /**
   * PostgreSQL: opens the pool's connections before a race. Connecting takes longer than a transaction,
   * so on a cold pool concurrent calls would run one after another instead of racing.
   */
  async function openPoolConnections(): Promise<void> {
    if (testDialect !== 'postgres') return;
    await Promise.all(Array.from({ length: 10 }, () => sql`select pg_sleep(0.05)`.execute(t.ctx.database.db)));
  }

  it('numbers the messages of a conversation 1 to n in the order they were sent', async () => {
    const results = [];
    for (let i = 1; i <= 5; i++) {
      t.clock.advance(1000);
      results.push(await send(`message ${i}`));
    }
    expect(results.map((r) => r?.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(results.every((r) => r?.duplicate === false)).toBe(true);
    const messages = await listMessages(t.ctx.store, { accountId, conversationId });
    expect(messages.map((m) => [m.seq, m.body])).toEqual([
      [1, 'message 1'],
      [2, 'message 2'],
      [3, 'message 3'],
      [4, 'message 4'],
      [5, 'message 5'],
    ]);
    expect(messages.map((m) => m.id)).toEqual(results.map((r) => r?.id));
    expect((await getConversation(t.ctx.store, { accountId, conversationId }))?.lastSeq).toBe(5);
  });

  it('numbers each conversation on its own', async () => {
    const other = await insertConversation(t.ctx.store, {
      accountId,
      widgetId: (await getConversation(t.ctx.store, { accountId, conversationId }))?.widgetId ?? '',
      visitorId: null,
      now: t.clock.now(),
    });
    await send('one');
    await send('two');
    expect((await send('other one', randomUUID(), other))?.seq).toBe(1);
    expect((await send('three'))?.seq).toBe(3);
  });

  it('stores a resend with the same client message id once and answers with the first id and seq', async () => {
    const clientMessageId = randomUUID();
    const first = await send('hello', clientMessageId);
    await send('in between');
    const resend = await send('hello', clientMessageId);
    expect(first).toMatchObject({ seq: 1, duplicate: false });
    expect(resend).toEqual({ id: first?.id, seq: 1, duplicate: true });
    const messages = await listMessages(t.ctx.store, { accountId, conversationId });
    expect(messages.map((m) => m.body)).toEqual(['hello', 'in between']);
    // The resend did not use up a sequence number.
    expect((await send('next'))?.seq).toBe(3);
  });

  it('keeps the first body when a resend carries a different one', async () => {
    const clientMessageId = randomUUID();
    await send('original', clientMessageId);
    expect(await send('changed', clientMessageId)).toMatchObject({ seq: 1, duplicate: true });
    expect((await listMessages(t.ctx.store, { accountId, conversationId })).map((m) => m.body)).toEqual(['original']);
  });

  it('lists the messages after a given seq, in order, up to a limit', async () => {
    for (let i = 1; i <= 6; i++) await send(`message ${i}`);
    const after = await listMessages(t.ctx.store, { accountId, conversationId, afterSeq: 3 });
    expect(after.map((m) => m.seq)).toEqual([4, 5, 6]);
    expect(after.map((m) => m.body)).toEqual(['message 4', 'message 5', 'message 6']);
    expect(await listMessages(t.ctx.store, { accountId, conversationId, afterSeq: 6 })).toEqual([]);
    const page = await listMessages(t.ctx.store, { accountId, conversationId, afterSeq: 1, limit: 2 });
    expect(page.map((m) => m.seq)).toEqual([2, 3]);
  });

  it('answers undefined for an unknown conversation and writes nothing', async () => {
    expect(await send('lost', randomUUID(), randomUUID())).toBeUndefined();
    const count = await t.ctx.database.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('gives 20 concurrent messages to one conversation distinct, consecutive seqs', async () => {
    await openPoolConnections();
    const bodies = Array.from({ length: 20 }, (_, i) => `concurrent ${i}`);
    const results = await Promise.all(bodies.map((body) => send(body)));
    const seqs = results.map((r) => r?.seq ?? 0).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const messages = await listMessages(t.ctx.store, { accountId, conversationId });
    expect(messages.map((m) => m.seq)).toEqual(seqs);
    expect(new Set(messages.map((m) => m.body))).toEqual(new Set(bodies));
    // Each message is stored under the seq it was acknowledged with.
    for (const result of results) {
      expect(messages.find((m) => m.id === result?.id)?.seq).toBe(result?.seq);
    }
    expect((await getConversation(t.ctx.store, { accountId, conversationId }))?.lastSeq).toBe(20);
  });

  it('stores concurrent resends of one client message id once and answers each with that message', async () => {
    await openPoolConnections();
    for (let round = 1; round <= 5; round++) {
      const clientMessageId = randomUUID();
      const results = await Promise.all(Array.from({ length: 5 }, () => send(`hello ${round}`, clientMessageId)));
      expect(new Set(results.map((r) => r?.id)).size, `round ${round}`).toBe(1);
      expect(
        results.filter((r) => r?.duplicate === false),
        `round ${round}`,
      ).toHaveLength(1);
      expect(results.map((r) => r?.seq)).toEqual(Array.from({ length: 5 }, () => round));
    }
    const messages = await listMessages(t.ctx.store, { accountId, conversationId });
    expect(messages.map((m) => [m.seq, m.body])).toEqual([1, 2, 3, 4, 5].map((i) => [i, `hello ${i}`]));
    // No sequence number was lost to a resend.
    expect((await send('next'))?.seq).toBe(6);
    expect((await getConversation(t.ctx.store, { accountId, conversationId }))?.lastSeq).toBe(6);
  });
});
