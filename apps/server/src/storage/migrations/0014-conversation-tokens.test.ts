import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendMessage } from '../../domain/conversations/send-message.js';
import { searchConversations } from '../../domain/search/search-conversations.js';
import { seedVisitorConversation } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { tokensOf } from '../search-repository.js';
import { searchIndex } from './0010-search-index.js';
import { conversationTokens } from './0014-conversation-tokens.js';

describe(`migration 0014: the search index by conversation (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;

  /** Every message's blob as hex and every conversation's words, sorted. */
  async function index() {
    const messages = await db().selectFrom('messages').select(['id', 'search_tokens']).orderBy('id').execute();
    const words = await db()
      .selectFrom('conversation_tokens')
      .select(['conversation_id', 'token'])
      .orderBy('conversation_id')
      .orderBy('token')
      .execute();
    return {
      messages: messages.map((m) => `${m.id}:${m.search_tokens?.toString('hex') ?? 'none'}`),
      words: words.map((w) => `${w.conversation_id}:${Buffer.from(w.token).toString('hex')}`),
    };
  }

  it('moves the per-message rows of 0010 into message blobs and conversation words, and search finds the same', async () => {
    const one = await seedVisitorConversation(t.ctx);
    const two = await seedVisitorConversation(t.ctx);
    const bodies = ['Rechnung für März', 'die Rechnung bitte', '?!', 'Lieferung heute'];
    for (const [i, body] of bodies.entries()) {
      const at = i % 2 === 0 ? one : two;
      await sendMessage(t.ctx, {
        author: { kind: 'visitor', accountId: at.accountId, visitorId: at.visitorId },
        conversationId: at.conversationId,
        clientMessageId: randomUUID(),
        body,
      });
    }
    const before = await index();
    // Blobs hold their tokens sorted after the migration (as the old rows are read back): compare sets.
    const sortedBlobs = (messages: string[]) =>
      messages.map((entry) => {
        const [id, hex] = entry.split(':');
        if (hex === 'none') return entry;
        const tokens = tokensOf(Buffer.from(hex ?? '', 'hex')).map((token) => token.toString('hex'));
        return `${id}:${tokens.sort().join('')}`;
      });
    const search = (accountId: string, query: string) =>
      searchConversations(t.ctx, {
        by: { kind: 'api_token', accountId, tokenId: randomUUID(), scope: 'read', role: 'admin' },
        query,
        limit: 10,
      });
    const found = await search(one.accountId, 'rechnung');

    // Back to the layout of 0010–0013, filled from the blobs as the old code wrote it.
    await searchIndex(testDialect).up(db());
    await sql`create index messages_account_created on messages (account_id, created_at)`.execute(db());
    for (const message of await db().selectFrom('messages').selectAll().execute()) {
      for (const token of tokensOf(message.search_tokens ?? Buffer.alloc(0))) {
        await sql`insert into message_tokens (account_id, conversation_id, message_id, token)
          values (${message.account_id}, ${message.conversation_id}, ${message.id}, ${token})`.execute(db());
      }
    }
    await sql`drop table conversation_tokens`.execute(db());
    await sql`alter table messages drop column search_tokens`.execute(db());

    await conversationTokens(testDialect).up(db());

    const after = await index();
    expect(after.words).toEqual(before.words);
    // A message without a word had no rows: it is left to the reindex (NULL), as before the index.
    expect(sortedBlobs(after.messages)).toEqual(
      sortedBlobs(before.messages).map((entry) => (entry.endsWith(':') ? entry.replace(/:$/, ':none') : entry)),
    );
    expect(await search(one.accountId, 'rechnung')).toEqual(found);
    expect(found.hits.map((hit) => [hit.conversation.id, hit.matchingMessages])).toEqual([[one.conversationId, 1]]);
    expect((await search(two.accountId, 'rechnung bitte')).hits.map((hit) => hit.conversation.id)).toEqual([
      two.conversationId,
    ]);
  });
});
