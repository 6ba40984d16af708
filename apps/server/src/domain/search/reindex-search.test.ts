import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { insertMessage } from '../../storage/messages-repository.js';
import { tokensOf as storedTokensOf } from '../../storage/search-repository.js';
import { seedVisitorConversation } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { sendMessage } from '../conversations/send-message.js';
import { reindexSearch } from './reindex-search.js';
import { searchConversations } from './search-conversations.js';

describe(`reindexSearch (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** A message stored as before the search index: without tokens. */
  async function oldMessage(where: { accountId: string; conversationId: string }, body: string): Promise<string> {
    const inserted = await insertMessage(t.ctx.store, {
      ...where,
      clientMessageId: randomUUID(),
      authorKind: 'visitor',
      body,
      now: t.clock.now(),
    });
    if (!inserted) throw new Error('oldMessage stored nothing');
    return inserted.id;
  }

  /** The account's messages' tokens as `message id:token hex`, sorted; each in its conversation's index too. */
  const tokensOf = async (accountId: string) => {
    const rows = await t.ctx.database.db
      .selectFrom('messages')
      .select(['id', 'conversation_id', 'search_tokens'])
      .where('account_id', '=', accountId)
      .execute();
    const indexed = new Set(
      (await t.ctx.database.db.selectFrom('conversation_tokens').selectAll().execute()).map(
        (row) => `${row.conversation_id}:${Buffer.from(row.token).toString('hex')}`,
      ),
    );
    const tokens: string[] = [];
    for (const row of rows) {
      for (const token of storedTokensOf(row.search_tokens ?? Buffer.alloc(0))) {
        const hex = token.toString('hex');
        expect(indexed.has(`${row.conversation_id}:${hex}`)).toBe(true);
        tokens.push(`${row.id}:${hex}`);
      }
    }
    return tokens.sort();
  };

  const search = (accountId: string, query: string) =>
    searchConversations(t.ctx, {
      by: { kind: 'api_token', accountId, tokenId: randomUUID(), scope: 'read', role: 'admin' },
      query,
      limit: 50,
    });

  it('indexes the messages stored without tokens, in batches, and only those', async () => {
    const a = await seedVisitorConversation(t.ctx);
    const b = await seedVisitorConversation(t.ctx);
    // All at the same millisecond: the batches must tell them apart by id.
    for (const body of ['Alte Rechnung', 'Rechnung bezahlt', '?!', 'Noch eine alte Rechnung'])
      await oldMessage(a, body);
    await sendMessage(t.ctx, {
      author: { kind: 'visitor', accountId: a.accountId, visitorId: a.visitorId },
      conversationId: a.conversationId,
      clientMessageId: randomUUID(),
      body: 'Neue Rechnung',
    });
    await oldMessage(b, 'Rechnung von Globex');
    const sentTokens = await tokensOf(a.accountId);
    expect(sentTokens).toHaveLength(2);
    expect((await search(a.accountId, 'rechnung')).hits[0]?.matchingMessages).toBe(1);

    const heard: string[] = [];
    const counts = await reindexSearch(t.ctx, {
      accountId: a.accountId,
      batchSize: 2,
      onAccount: (accountId) => heard.push(accountId),
    });
    expect(counts).toEqual({
      accounts: 1,
      messages: 5,
      indexed: 3,
      alreadyIndexed: 1,
      withoutWords: 1,
      unreadable: 0,
      skipped: 0,
      tokens: 2 + 2 + 4,
    });
    expect(heard).toEqual([a.accountId]);
    expect((await search(a.accountId, 'rechnung')).hits[0]?.matchingMessages).toBe(4);
    expect((await search(a.accountId, 'alte rechnung')).hits[0]?.matchingMessages).toBe(2);
    // The tokens of the sent message are as they were; the other account was not touched.
    expect(await tokensOf(a.accountId)).toEqual(expect.arrayContaining(sentTokens));
    expect(await tokensOf(b.accountId)).toEqual([]);
  });

  it('finds nothing left to do when run again, and walks every account without --account', async () => {
    const a = await seedVisitorConversation(t.ctx);
    const b = await seedVisitorConversation(t.ctx);
    await oldMessage(a, 'eins zwei');
    await oldMessage(b, 'drei vier');
    await reindexSearch(t.ctx, { accountId: a.accountId });
    const before = await tokensOf(a.accountId);
    const again = await reindexSearch(t.ctx, { accountId: a.accountId });
    expect(again).toMatchObject({ messages: 1, indexed: 0, alreadyIndexed: 1, tokens: 0 });
    expect(await tokensOf(a.accountId)).toEqual(before);

    const all = await reindexSearch(t.ctx, {});
    expect(all).toMatchObject({ accounts: 2, messages: 2, indexed: 1, alreadyIndexed: 1, tokens: 2 });
    expect((await search(b.accountId, 'VIER')).hits.map((hit) => hit.conversation.id)).toEqual([b.conversationId]);
  });

  it('skips a message erased between its read and the write of its tokens, and indexes the rest', async () => {
    const a = await seedVisitorConversation(t.ctx);
    await oldMessage(a, 'erste Nachricht');
    const gone = await oldMessage(a, 'zweite Nachricht');
    const keyById = t.ctx.store.keyring.keyById.bind(t.ctx.store.keyring);
    // Opening the first body (after the batch was read) is when the erasure of the second lands.
    const spy = vi.spyOn(t.ctx.store.keyring, 'keyById').mockImplementationOnce(async (...args) => {
      await t.ctx.database.db.deleteFrom('messages').where('id', '=', gone).execute();
      return keyById(...args);
    });
    try {
      expect(await reindexSearch(t.ctx, { accountId: a.accountId })).toMatchObject({
        messages: 2,
        indexed: 1,
        skipped: 1,
        tokens: 2,
      });
    } finally {
      spy.mockRestore();
    }
    expect((await search(a.accountId, 'erste')).hits.map((hit) => hit.conversation.id)).toEqual([a.conversationId]);
    expect(await search(a.accountId, 'zweite')).toEqual({ hits: [] });
  });

  it('counts messages whose conversation key is gone as unreadable, and refuses an unknown account', async () => {
    const a = await seedVisitorConversation(t.ctx);
    await oldMessage(a, 'nicht mehr lesbar');
    await t.ctx.keyring.destroySubjectKey(t.ctx.database.db, {
      accountId: a.accountId,
      kind: 'conversation',
      subjectId: a.conversationId,
      now: t.clock.now(),
    });
    expect(await reindexSearch(t.ctx, { accountId: a.accountId })).toMatchObject({
      messages: 1,
      indexed: 0,
      unreadable: 1,
    });
    await expect(reindexSearch(t.ctx, { accountId: randomUUID() })).rejects.toMatchObject({ code: 'not_found' });
  });
});
