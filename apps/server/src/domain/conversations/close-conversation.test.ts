import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sumRollups } from '../../storage/rollup-sums.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { listenForCloses, seedSceneAccount, seedSceneConversation, type SceneAccount } from '../erasure/test-scene.js';
import { closeConversation } from './close-conversation.js';

describe(`closeConversation (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  beforeEach(async () => {
    t = await createTestContext();
    acme = await seedSceneAccount(t.ctx, 'Acme');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const rollups = async () =>
    (await sumRollups(t.ctx.database.db, { accountId: acme.accountId, fromDay: '0000-01-01', toDay: '9999-12-31' }))
      .filter(({ metric }) => /^(conversations\.(closed|missed)|duration\.)/.test(metric))
      .map(({ metric, value }) => ({ metric, value }));

  it('counts a close in the rollups with its duration, and as missed when nobody answered', async () => {
    const { conversationId, visitor } = await seedSceneConversation(t.ctx, { account: acme });
    t.clock.advance(45_000);

    await closeConversation(t.ctx, { by: { kind: 'visitor', ...visitor }, conversationId });

    expect(await rollups()).toEqual([
      { metric: 'conversations.closed', value: 1 },
      { metric: 'conversations.missed', value: 1 },
      { metric: 'duration.le_60s', value: 1 },
      { metric: 'duration.total_ms', value: 45_000 },
    ]);
  });

  it('ends a conversation without a rollup when counted: false, and operators and the visitor hear it end all the same', async () => {
    const { conversationId } = await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId });
    t.clock.advance(45_000);
    const heard = await listenForCloses(t.ctx, { accountId: acme.accountId, conversationIds: [conversationId] });

    try {
      const closed = await closeConversation(t.ctx, {
        by: { kind: 'system', accountId: acme.accountId },
        conversationId,
        counted: false,
      });
      expect(closed).toEqual({ closedAt: t.clock.now(), alreadyClosed: false });
      await vi.waitFor(() => {
        expect(heard.inbox).toEqual([{ conversationId, closedBy: 'system' }]);
        expect(heard.windows).toEqual([conversationId]);
      });
    } finally {
      await heard.stop();
    }

    expect(await rollups()).toEqual([]);
    const row = await t.ctx.database.db
      .selectFrom('conversations')
      .select(['status', 'closed_at'])
      .where('id', '=', conversationId)
      .executeTakeFirst();
    expect(row).toEqual({ status: 'closed', closed_at: t.clock.now() });
  });
});
