import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealedKeyId } from '../../crypto/seal.js';
import { getContact, listContacts } from '../../storage/contacts-repository.js';
import { getConversation } from '../../storage/conversations-repository.js';
import { seedAnotherVisitor, seedVisitor, setWidgetSettings } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { startConversation } from '../conversations/start-conversation.js';
import { identifyVisitor } from './identify-visitor.js';

describe(`identifyVisitor (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** A name or an email unique to this run, to look for in the stored bytes. */
  const marker = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

  it("creates a contact sealed with the contact's own key, and a second identify changes only the fields given", async () => {
    const visitor = await seedVisitor(t.ctx);
    const { accountId } = visitor;
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const name = marker('Ada');
    const email = `${marker('ada')}@example.test`;

    const first = await identifyVisitor(t.ctx, { visitor, conversationId, name, email });
    expect(first.created).toBe(true);
    const { contactId } = first;
    expect((await getConversation(t.ctx.store, { accountId, conversationId }))?.contactId).toBe(contactId);
    expect(await getContact(t.ctx.store, { accountId, contactId })).toMatchObject({ name, email });

    const row = await t.ctx.database.db
      .selectFrom('contacts')
      .select(['name_sealed', 'email_sealed', 'email_index'])
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow();
    const key = await t.ctx.database.db
      .selectFrom('keyring')
      .select('id')
      .where('kind', '=', 'contact')
      .where('subject_id', '=', contactId)
      .executeTakeFirstOrThrow();
    for (const sealed of [row.name_sealed, row.email_sealed]) {
      expect(sealed).not.toBeNull();
      expect(sealedKeyId(sealed!)).toBe(key.id);
      for (const plain of [name, email]) expect(Buffer.from(sealed!).includes(plain)).toBe(false);
    }
    expect(row.email_index).not.toContain(email.split('@')[0]);

    t.clock.advance(1000);
    const newEmail = `${marker('ada.new')}@example.test`;
    expect(await identifyVisitor(t.ctx, { visitor, conversationId, email: newEmail })).toEqual({
      contactId,
      created: false,
    });
    expect(await getContact(t.ctx.store, { accountId, contactId })).toMatchObject({
      name,
      email: newEmail,
      updatedAt: t.clock.now(),
    });
    expect((await listContacts(t.ctx.store, { accountId, email: newEmail, limit: 50 })).map((c) => c.id)).toEqual([
      contactId,
    ]);
    expect((await listContacts(t.ctx.store, { accountId, email, limit: 50 })).map((c) => c.id)).toEqual([]);
    expect(await t.ctx.database.db.selectFrom('contacts').select('id').execute()).toHaveLength(1);
  });

  it("answers not_found for another visitor's conversation and an unknown one, and stores no contact", async () => {
    const owner = await seedVisitor(t.ctx);
    const { conversationId } = await startConversation(t.ctx, { visitor: owner, consent: { version: 'en-1' } });
    const stranger = await seedAnotherVisitor(t.ctx, owner);
    await expect(identifyVisitor(t.ctx, { visitor: stranger, conversationId, name: 'Mallory' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      identifyVisitor(t.ctx, { visitor: owner, conversationId: randomUUID(), name: 'Ada' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await t.ctx.database.db.selectFrom('contacts').select('id').execute()).toEqual([]);
  });

  it('answers consent_required when the widget asks for consent and the conversation has none recorded', async () => {
    const visitor = await seedVisitor(t.ctx, { settings: { privacy: { optIn: false } } });
    const { conversationId } = await startConversation(t.ctx, { visitor });
    // The account turned consent on after the chat started without one.
    await setWidgetSettings(t.ctx, { widgetId: visitor.widgetId, settings: {} });
    await expect(identifyVisitor(t.ctx, { visitor, conversationId, name: 'Ada' })).rejects.toMatchObject({
      code: 'consent_required',
    });
    expect(await t.ctx.database.db.selectFrom('contacts').select('id').execute()).toEqual([]);

    await setWidgetSettings(t.ctx, { widgetId: visitor.widgetId, settings: { privacy: { optIn: false } } });
    expect(await identifyVisitor(t.ctx, { visitor, conversationId, name: 'Ada' })).toMatchObject({ created: true });
  });
});
