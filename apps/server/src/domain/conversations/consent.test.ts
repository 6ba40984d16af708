import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getConversation } from '../../storage/conversations-repository.js';
import { seedVisitor } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { leaveOfflineMessage } from './leave-offline-message.js';
import { startConversation } from './start-conversation.js';

describe(`consent to the privacy notice (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const read = (accountId: string, conversationId: string) =>
    getConversation(t.ctx.store, { accountId, conversationId });

  it('refuses a chat and an offline message without consent when the widget asks for it, and stores nothing', async () => {
    const visitor = await seedVisitor(t.ctx);
    await expect(startConversation(t.ctx, { visitor, ref: randomUUID() })).rejects.toMatchObject({
      code: 'consent_required',
    });
    await expect(
      leaveOfflineMessage(t.ctx, { visitor, clientMessageId: randomUUID(), body: 'Call me back' }),
    ).rejects.toMatchObject({ code: 'consent_required' });
    expect(await t.ctx.database.db.selectFrom('conversations').select('id').execute()).toEqual([]);
    expect(await t.ctx.database.db.selectFrom('rollups').select('metric').execute()).toEqual([]);
  });

  it("records the notice's version at the server's time, and a repeated start keeps the first record", async () => {
    const visitor = await seedVisitor(t.ctx);
    const ref = randomUUID();
    const consentedAt = t.clock.now();
    const { conversationId } = await startConversation(t.ctx, { visitor, ref, consent: { version: 'en-1' } });
    t.clock.advance(60_000);
    const again = await startConversation(t.ctx, { visitor, ref, consent: { version: 'de-2' } });
    expect(again).toMatchObject({ conversationId, duplicate: true });
    expect(await read(visitor.accountId, conversationId)).toMatchObject({
      consentVersion: 'en-1',
      consentAt: consentedAt,
    });

    const offline = await leaveOfflineMessage(t.ctx, {
      visitor,
      clientMessageId: randomUUID(),
      body: 'Call me back',
      consent: { version: 'en-1' },
    });
    expect(await read(visitor.accountId, offline.conversationId)).toMatchObject({
      consentVersion: 'en-1',
      consentAt: consentedAt + 60_000,
    });
  });

  it('starts without consent where the widget asks for none, and records a consent given all the same', async () => {
    const visitor = await seedVisitor(t.ctx, { settings: { privacy: { optIn: false } } });
    const without = await startConversation(t.ctx, { visitor, ref: randomUUID() });
    const given = await leaveOfflineMessage(t.ctx, {
      visitor,
      clientMessageId: randomUUID(),
      body: 'Call me back',
      consent: { version: 'de-3' },
    });
    expect(await read(visitor.accountId, without.conversationId)).toMatchObject({
      consentVersion: null,
      consentAt: null,
    });
    expect(await read(visitor.accountId, given.conversationId)).toMatchObject({
      consentVersion: 'de-3',
      consentAt: t.clock.now(),
    });
  });
});
