import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countOpenConversationsOfVisitor } from '../../storage/conversations-repository.js';
import { sumRollups } from '../../storage/rollup-sums.js';
import { localSlot } from '../../storage/local-time.js';
import { assignConversationRow } from '../../storage/routing-repository.js';
import { createTestContext, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { authenticateVisitor, startVisitorSession } from '../visitors/start-visitor-session.js';
import { closeConversation } from './close-conversation.js';
import { rateConversation } from './rate-conversation.js';
import { sendMessage } from './send-message.js';
import { MAX_OPEN_CONVERSATIONS_PER_VISITOR, startConversation } from './start-conversation.js';

describe('conversations under concurrent requests', () => {
  let t: TestContext;
  let accountId: string;
  let ownerId: string;
  let publicKey: string;
  beforeEach(async () => {
    t = await createTestContext();
    const created = await createAccount(t.ctx, {
      name: 'Race',
      plan: 'standard',
      owner: { email: 'owner@race.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    ({
      accountId,
      widget: { publicKey },
    } = created);
    ownerId = created.owner.id;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function visitor() {
    const session = await startVisitorSession(t.ctx, { publicKey });
    return authenticateVisitor(t.ctx, session.token);
  }

  it('keeps a visitor within the open-conversation limit however many starts race', async () => {
    const claims = await visitor();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => startConversation(t.ctx, { visitor: claims, consent: { version: 'en-1' } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_OPEN_CONVERSATIONS_PER_VISITOR);
    expect(await countOpenConversationsOfVisitor(t.ctx.database.db, { accountId, visitorId: claims.visitorId })).toBe(
      MAX_OPEN_CONVERSATIONS_PER_VISITOR,
    );
  });

  it('makes one conversation of a start sent again under its ref, however the repeats race', async () => {
    const claims = await visitor();
    const ref = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => startConversation(t.ctx, { visitor: claims, ref, consent: { version: 'en-1' } })),
    );
    expect(new Set(results.map((r) => r.conversationId)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    // Another ref, or another visitor with the same ref, starts another.
    const other = await startConversation(t.ctx, { visitor: claims, ref: randomUUID(), consent: { version: 'en-1' } });
    const stranger = await startConversation(t.ctx, { visitor: await visitor(), ref, consent: { version: 'en-1' } });
    expect(new Set([results[0]?.conversationId, other.conversationId, stranger.conversationId]).size).toBe(3);
    expect(await countOpenConversationsOfVisitor(t.ctx.database.db, { accountId, visitorId: claims.visitorId })).toBe(
      2,
    );
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day });
    expect(sums.find((s) => s.metric === 'conversations.started')?.value).toBe(3);
  });

  it('counts one rating per conversation when its windows rate at once', async () => {
    const claims = await visitor();
    const by = { accountId, visitorId: claims.visitorId };
    for (let round = 0; round < 3; round++) {
      const { conversationId } = await startConversation(t.ctx, { visitor: claims, consent: { version: 'en-1' } });
      await Promise.all([5, 4, 3, 2].map((rating) => rateConversation(t.ctx, { visitor: by, conversationId, rating })));
    }
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day });
    expect(sums.find((s) => s.metric === 'ratings.count')?.value).toBe(3);
    const stored = await t.ctx.database.db.selectFrom('conversations').select('rating').execute();
    const total = stored.reduce((sum, row) => sum + (row.rating ?? 0), 0);
    expect(sums.find((s) => s.metric === 'ratings.sum')?.value).toBe(total);
    // The distribution counts each conversation once, under its rating as stored.
    for (const rating of [1, 2, 3, 4, 5]) {
      const rated = stored.filter((row) => row.rating === rating).length;
      expect(sums.find((s) => s.metric === `ratings.r${rating}`)?.value ?? 0, `ratings.r${rating}`).toBe(rated);
    }
  });

  it('never stores a message after the close it raced with, and counts an answered conversation as answered', async () => {
    for (let round = 0; round < 5; round++) {
      const claims = await visitor();
      const { conversationId } = await startConversation(t.ctx, { visitor: claims, consent: { version: 'en-1' } });
      const now = t.clock.now();
      await assignConversationRow(t.ctx.database.db, {
        accountId,
        conversationId,
        operatorId: ownerId,
        from: 'waiting',
        now,
      });
      const [sent, closed] = await Promise.allSettled([
        sendMessage(t.ctx, {
          author: { kind: 'operator', accountId, operatorId: ownerId },
          conversationId,
          clientMessageId: randomUUID(),
          body: 'Hello!',
        }),
        closeConversation(t.ctx, { by: { kind: 'visitor', accountId, visitorId: claims.visitorId }, conversationId }),
      ]);
      expect(closed.status).toBe('fulfilled');
      const messages = await t.ctx.database.db
        .selectFrom('messages')
        .select('created_at')
        .where('conversation_id', '=', conversationId)
        .execute();
      const row = await t.ctx.database.db
        .selectFrom('conversations')
        .select(['closed_at', 'first_response_at'])
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow();
      // Either the message came first (and the conversation is answered), or the close did.
      if (sent.status === 'fulfilled') {
        expect(messages).toHaveLength(1);
        expect(row.first_response_at).not.toBeNull();
      } else {
        expect(messages).toHaveLength(0);
        expect(sent.reason).toMatchObject({ code: 'conversation_closed' });
      }
    }
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day });
    const value = (metric: string) => sums.find((s) => s.metric === metric)?.value ?? 0;
    expect(value('conversations.missed') + value('first_response.count')).toBe(5);
  });
  it('writes nothing for a refused message: not the seq, not the time of the last change', async () => {
    const claims = await visitor();
    const stranger = await visitor();
    const { conversationId } = await startConversation(t.ctx, { visitor: claims, consent: { version: 'en-1' } });
    const row = () =>
      t.ctx.database.db
        .selectFrom('conversations')
        .select(['last_seq', 'updated_at', 'status'])
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow();
    const send = (author: Parameters<typeof sendMessage>[1]['author']) =>
      sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'Hello?' });
    t.clock.advance(60_000);
    const waiting = await row();
    // Another visitor's, and an answer from an operator who does not hold the conversation.
    await expect(send({ kind: 'visitor', accountId, visitorId: stranger.visitorId })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(send({ kind: 'operator', accountId, operatorId: ownerId })).rejects.toMatchObject({
      code: 'conversation_not_assigned',
    });
    expect(await row()).toEqual(waiting);
    await closeConversation(t.ctx, { by: { kind: 'visitor', accountId, visitorId: claims.visitorId }, conversationId });
    const closed = await row();
    t.clock.advance(60_000);
    await expect(send({ kind: 'visitor', accountId, visitorId: claims.visitorId })).rejects.toMatchObject({
      code: 'conversation_closed',
    });
    expect(await row()).toEqual(closed);
  });
});
