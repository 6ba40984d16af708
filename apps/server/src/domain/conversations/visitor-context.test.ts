import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateAccountSettings } from '../../storage/accounts-repository.js';
import { findConversationDetail } from '../../storage/conversation-details.js';
import { VISITOR_IP_TTL_MS } from '../../storage/conversations-repository.js';
import { seedVisitor } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { startConversation } from './start-conversation.js';
import { visitorContextToKeep, visitorIpToKeep } from './visitor-context.js';

describe('what is kept of the visitor context', () => {
  it('keeps the page as origin and path: no query, no fragment, no user info', () => {
    expect(
      visitorContextToKeep({
        pageUrl: 'https://user:pw@Shop.Example.test:8443/a/b%20c/?q=ada%40example.test&token=x#top',
        language: 'fr-CA',
        timeZone: 'America/Montreal',
      }),
    ).toEqual({ pageUrl: 'https://shop.example.test:8443/a/b%20c/', language: 'fr-CA', timeZone: 'America/Montreal' });
    expect(visitorContextToKeep({ pageUrl: 'http://localhost:8080' })).toEqual({ pageUrl: 'http://localhost:8080/' });
  });

  it('drops a page that is not http(s), a language or time zone that is none, and keeps nothing when nothing is left', () => {
    for (const pageUrl of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/html,hi',
      'ftp://x.test/a',
      'no url',
    ]) {
      expect(visitorContextToKeep({ pageUrl, language: 'en' }), pageUrl).toEqual({ language: 'en' });
      expect(visitorContextToKeep({ pageUrl }), pageUrl).toBeUndefined();
    }
    expect(visitorContextToKeep({ language: '<img src=x>', timeZone: 'Europe/Berlin; drop' })).toBeUndefined();
    expect(visitorContextToKeep({ language: 'zh-Hant-TW', timeZone: 'Etc/GMT+5' })).toEqual({
      language: 'zh-Hant-TW',
      timeZone: 'Etc/GMT+5',
    });
    expect(visitorContextToKeep({})).toBeUndefined();
    expect(visitorContextToKeep(undefined)).toBeUndefined();
  });

  it('keeps client addresses that are IP addresses, mapped IPv4 as IPv4', () => {
    expect(visitorIpToKeep('::ffff:192.0.2.10')).toBe('192.0.2.10');
    expect(visitorIpToKeep('198.51.100.4')).toBe('198.51.100.4');
    expect(visitorIpToKeep('2001:db8::1')).toBe('2001:db8::1');
    for (const junk of ['', 'unknown', '1.2.3.4, 5.6.7.8', undefined]) expect(visitorIpToKeep(junk)).toBeUndefined();
  });
});

describe(`a conversation's visitor context and IP at its start (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const consent = { version: 'en-1' };
  const stored = (conversationId: string) =>
    t.ctx.database.db
      .selectFrom('conversations')
      .select(['visitor_context_sealed', 'visitor_ip_sealed', 'visitor_ip_expires_at'])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();

  it('stores the context sealed and the address not at all while the account does not show IPs', async () => {
    const visitor = await seedVisitor(t.ctx);
    const { conversationId } = await startConversation(t.ctx, {
      visitor,
      consent,
      context: { pageUrl: 'https://www.example.test/help?email=ada%40example.test', timeZone: 'Asia/Tokyo' },
      clientAddress: '::ffff:192.0.2.10',
    });
    const row = await stored(conversationId);
    expect(row).toMatchObject({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
    expect(Buffer.from(row.visitor_context_sealed ?? []).toString('latin1')).not.toMatch(/example\.test|Tokyo/);
    const detail = await findConversationDetail(t.ctx.store, {
      accountId: visitor.accountId,
      conversationId,
      visitorIpAt: t.clock.now(),
    });
    expect(detail).toMatchObject({
      visitorContext: { pageUrl: 'https://www.example.test/help', timeZone: 'Asia/Tokyo' },
      visitorIp: null,
    });
  });

  it('stores the address sealed until 24 hours after the start once the account shows IPs; no context, none stored', async () => {
    const visitor = await seedVisitor(t.ctx);
    await updateAccountSettings(t.ctx.database.db, {
      accountId: visitor.accountId,
      settings: { showVisitorIp: true },
    });
    const { conversationId } = await startConversation(t.ctx, {
      visitor,
      ref: randomUUID(),
      consent,
      clientAddress: '::ffff:192.0.2.10',
    });
    const row = await stored(conversationId);
    expect(row.visitor_context_sealed).toBeNull();
    expect(row.visitor_ip_expires_at).toBe(t.clock.now() + VISITOR_IP_TTL_MS);
    const read = (at?: number) =>
      findConversationDetail(t.ctx.store, {
        accountId: visitor.accountId,
        conversationId,
        ...(at === undefined ? {} : { visitorIpAt: at }),
      });
    expect(await read(t.clock.now())).toMatchObject({ visitorContext: {}, visitorIp: '192.0.2.10' });
    expect(await read()).toMatchObject({ visitorIp: null });
    expect(await read(t.clock.now() + VISITOR_IP_TTL_MS)).toMatchObject({ visitorIp: null });

    // Not an address: nothing stored, whatever the setting.
    const other = await startConversation(t.ctx, { visitor, consent, clientAddress: 'unknown' });
    expect(await stored(other.conversationId)).toMatchObject({ visitor_ip_sealed: null, visitor_ip_expires_at: null });
  });
});
