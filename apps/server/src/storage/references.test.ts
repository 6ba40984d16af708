import { randomUUID } from 'node:crypto';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../context.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { ReferenceNotFoundError } from './account-references.js';
import { insertAttachment } from './attachments-repository.js';
import { insertContact } from './contacts-repository.js';
import { insertConversation } from './conversations-repository.js';
import { insertMessage } from './messages-repository.js';
import { insertVisitor, insertWidget } from './widgets-repository.js';

/** One account with an operator, a contact, a widget, a visitor and two conversations, one with a message. */
async function seedAccount(ctx: Context, label: string) {
  const { accountId, operatorId, now } = await seedOwnerAccount(ctx, label);
  const operator = { id: operatorId };
  const contactId = await insertContact(ctx.store, { accountId, name: `${label} contact`, now });
  const widget = await insertWidget(ctx.database.db, { accountId, name: `${label} widget`, now });
  const visitorId = await insertVisitor(ctx.database.db, { accountId, widgetId: widget.id, now });
  const conversation = { accountId, widgetId: widget.id, visitorId, contactId, now };
  const conversationId = await insertConversation(ctx.store, conversation);
  const otherConversationId = await insertConversation(ctx.store, conversation);
  const message = await insertMessage(ctx.store, {
    accountId,
    conversationId,
    clientMessageId: randomUUID(),
    authorKind: 'operator',
    operatorId: operator.id,
    body: `${label} hello`,
    now,
  });
  const otherMessage = await insertMessage(ctx.store, {
    accountId,
    conversationId: otherConversationId,
    clientMessageId: randomUUID(),
    authorKind: 'visitor',
    body: `${label} elsewhere`,
    now,
  });
  if (!message || !otherMessage) throw new Error('seedAccount could not write its messages');
  return {
    accountId,
    operatorId: operator.id,
    contactId,
    widgetId: widget.id,
    visitorId,
    conversationId,
    messageId: message.id,
    otherMessageId: otherMessage.id,
  };
}

type Seeded = Awaited<ReturnType<typeof seedAccount>>;

const tables = [
  'operators',
  'contacts',
  'widgets',
  'visitors',
  'conversations',
  'messages',
  'attachments',
  'keyring',
] as const;

/** Every row an account has in the tables these references live in, by table. */
async function rowsOf(ctx: Context, accountId: string) {
  const rows: Record<string, unknown[]> = {};
  for (const table of tables) {
    rows[table] = await ctx.database.db
      .selectFrom(table)
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
  }
  return rows;
}

describe(`references between rows (${testDialect})`, () => {
  let t: TestContext;
  let a: Seeded;
  let b: Seeded;
  let aBefore: Awaited<ReturnType<typeof rowsOf>>;
  let bBefore: Awaited<ReturnType<typeof rowsOf>>;
  beforeEach(async () => {
    t = await createTestContext();
    a = await seedAccount(t.ctx, 'a');
    b = await seedAccount(t.ctx, 'b');
    aBefore = await rowsOf(t.ctx, a.accountId);
    bBefore = await rowsOf(t.ctx, b.accountId);
    // The seed must really have written both accounts' rows, or "unchanged" would prove nothing.
    for (const before of [aBefore, bBefore]) {
      expect(before.conversations).toHaveLength(2);
      expect(before.messages).toHaveLength(2);
      expect(before.visitors).toHaveLength(1);
    }
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** Expects `call` to be refused for the reference `what` → `id`, and both accounts to be as seeded. */
  async function expectRefused(call: () => Promise<unknown>, what: string, id: string) {
    const error: unknown = await call().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ReferenceNotFoundError);
    expect(error).toMatchObject({ code: 'not_found', what, id });
    expect(await rowsOf(t.ctx, b.accountId)).toEqual(bBefore);
    expect(await rowsOf(t.ctx, a.accountId)).toEqual(aBefore);
  }

  const conversationIn = (overrides: { widgetId?: string; visitorId?: string; contactId?: string }) => () =>
    insertConversation(t.ctx.store, {
      accountId: a.accountId,
      widgetId: a.widgetId,
      visitorId: a.visitorId,
      contactId: a.contactId,
      now: t.clock.now(),
      ...overrides,
    });

  it("refuses a conversation on another account's widget", async () => {
    await expectRefused(conversationIn({ widgetId: b.widgetId }), 'widget', b.widgetId);
  });

  it("refuses a conversation with another account's visitor", async () => {
    await expectRefused(conversationIn({ visitorId: b.visitorId }), 'visitor', b.visitorId);
  });

  it("refuses a conversation with another account's contact", async () => {
    await expectRefused(conversationIn({ contactId: b.contactId }), 'contact', b.contactId);
  });

  it('refuses a conversation on a widget that does not exist', async () => {
    const unknown = randomUUID();
    await expectRefused(conversationIn({ widgetId: unknown }), 'widget', unknown);
  });

  it("refuses a visitor of another account's widget", async () => {
    await expectRefused(
      () => insertVisitor(t.ctx.database.db, { accountId: a.accountId, widgetId: b.widgetId, now: t.clock.now() }),
      'widget',
      b.widgetId,
    );
  });

  const attachmentOf = (messageId: string) => () =>
    insertAttachment(t.ctx.store, {
      accountId: a.accountId,
      conversationId: a.conversationId,
      messageId,
      fileName: 'a.pdf',
      contentType: 'application/pdf',
      sizeBytes: 10,
      storageKey: `attachments/${randomUUID()}`,
      now: t.clock.now(),
    });

  it("refuses an attachment on another account's message", async () => {
    await expectRefused(attachmentOf(b.messageId), 'message', b.messageId);
  });

  it("refuses an attachment on a message of the account's other conversation", async () => {
    await expectRefused(attachmentOf(a.otherMessageId), 'message', a.otherMessageId);
  });

  it("refuses a message by another account's operator", async () => {
    await expectRefused(
      () =>
        insertMessage(t.ctx.store, {
          accountId: a.accountId,
          conversationId: a.conversationId,
          clientMessageId: randomUUID(),
          authorKind: 'operator',
          operatorId: b.operatorId,
          body: 'injected',
          now: t.clock.now(),
        }),
      'operator',
      b.operatorId,
    );
  });

  it("still accepts the account's own references, and none at all", async () => {
    const now = t.clock.now();
    const { accountId } = a;
    const visitorId = await insertVisitor(t.ctx.database.db, { accountId, widgetId: a.widgetId, now });
    await insertConversation(t.ctx.store, { accountId, widgetId: a.widgetId, visitorId, contactId: a.contactId, now });
    await insertConversation(t.ctx.store, { accountId, widgetId: a.widgetId, visitorId: null, contactId: null, now });
    await attachmentOf(a.messageId)();
    await insertAttachment(t.ctx.store, {
      accountId,
      conversationId: a.conversationId,
      fileName: 'loose.txt',
      contentType: 'text/plain',
      sizeBytes: 1,
      storageKey: `attachments/${randomUUID()}`,
      now,
    });
    const message = { accountId, conversationId: a.conversationId, body: 'own', now };
    await insertMessage(t.ctx.store, {
      ...message,
      clientMessageId: randomUUID(),
      authorKind: 'operator',
      operatorId: a.operatorId,
    });
    await insertMessage(t.ctx.store, { ...message, clientMessageId: randomUUID(), authorKind: 'visitor' });
    const after = await rowsOf(t.ctx, accountId);
    expect(after.visitors).toHaveLength(2);
    expect(after.conversations).toHaveLength(4);
    expect(after.attachments).toHaveLength(2);
    expect(after.messages).toHaveLength(4);
    expect(await rowsOf(t.ctx, b.accountId)).toEqual(bBefore);
  });
});
