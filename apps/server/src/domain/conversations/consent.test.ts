import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getConversation } from '../../storage/conversations-repository.js';
import { seedVisitor, setWidgetSettings } from '../../test-support/fixtures.js';
import { allRollups } from '../../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { getWidgetConfig } from '../widgets/widget-config.js';
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
    expect(await allRollups(t.ctx.database.db)).toEqual([]);
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
  /** The notice version the widget's public config announces now. */
  async function announcedVersion(widgetId: string): Promise<string | null | undefined> {
    const { public_key: publicKey } = await t.ctx.database.db
      .selectFrom('widgets')
      .select('public_key')
      .where('id', '=', widgetId)
      .executeTakeFirstOrThrow();
    return (await getWidgetConfig(t.ctx, publicKey))?.privacy.noticeVersion;
  }

  it("accepts exactly the version the config announces for the account's own notice, and asks again once it changes", async () => {
    const visitor = await seedVisitor(t.ctx, { settings: { privacy: { noticeText: 'We keep chats for a year.' } } });
    const version = await announcedVersion(visitor.widgetId);
    expect(version).toMatch(/^custom-[0-9a-f]{8}$/);
    for (const other of ['en-1', 'custom-00000000']) {
      await expect(
        startConversation(t.ctx, { visitor, ref: randomUUID(), consent: { version: other } }),
      ).rejects.toMatchObject({ code: 'consent_required' });
    }
    expect(await t.ctx.database.db.selectFrom('conversations').select('id').execute()).toEqual([]);

    const { conversationId } = await startConversation(t.ctx, {
      visitor,
      ref: randomUUID(),
      consent: { version: version ?? '' },
    });
    expect(await read(visitor.accountId, conversationId)).toMatchObject({ consentVersion: version });

    await setWidgetSettings(t.ctx, {
      widgetId: visitor.widgetId,
      settings: { privacy: { noticeText: 'We keep chats for six months.' } },
    });
    const changed = await announcedVersion(visitor.widgetId);
    expect(changed).not.toBe(version);
    await expect(
      leaveOfflineMessage(t.ctx, {
        visitor,
        clientMessageId: randomUUID(),
        body: 'Call me back',
        consent: { version: version ?? '' },
      }),
    ).rejects.toMatchObject({ code: 'consent_required' });
    const offline = await leaveOfflineMessage(t.ctx, {
      visitor,
      clientMessageId: randomUUID(),
      body: 'Call me back',
      consent: { version: changed ?? '' },
    });
    expect(await read(visitor.accountId, offline.conversationId)).toMatchObject({ consentVersion: changed });
  });

  it("keeps accepting the built-in notice's versions without an own text, and refuses another account text's", async () => {
    const visitor = await seedVisitor(t.ctx);
    expect(await announcedVersion(visitor.widgetId)).toBeNull();
    for (const version of ['en-1', 'de-12']) {
      const { conversationId } = await startConversation(t.ctx, { visitor, ref: randomUUID(), consent: { version } });
      expect(await read(visitor.accountId, conversationId)).toMatchObject({ consentVersion: version });
    }
    await expect(
      startConversation(t.ctx, { visitor, ref: randomUUID(), consent: { version: 'custom-1a2b3c4d' } }),
    ).rejects.toMatchObject({ code: 'consent_required' });
  });

  it('starts without a record where the widget asks for no consent and the one given names no notice it shows', async () => {
    const visitor = await seedVisitor(t.ctx, {
      settings: { privacy: { optIn: false, noticeText: 'We keep chats for a year.' } },
    });
    const { conversationId } = await startConversation(t.ctx, {
      visitor,
      ref: randomUUID(),
      consent: { version: 'en-1' },
    });
    expect(await read(visitor.accountId, conversationId)).toMatchObject({ consentVersion: null, consentAt: null });
  });
});
