import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedVisitorConversation } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import {
  attachmentStorageKey,
  findAttachmentMeta,
  getAttachment,
  insertAttachment,
  listAttachmentsOfMessages,
} from './attachments-repository.js';
import { insertMessage, listMessages } from './messages-repository.js';

describe(`attachments repository (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** An account with a visitor's conversation. */
  const scene = () => seedVisitorConversation(t.ctx);

  /** A message carrying a file, written as sendMessage writes it. */
  async function messageWithFile(at: { accountId: string; conversationId: string }, fileName: string) {
    const now = t.clock.now();
    const message = await insertMessage(t.ctx.store, {
      ...at,
      clientMessageId: randomUUID(),
      authorKind: 'visitor',
      body: fileName,
      now,
    });
    if (!message) throw new Error('The conversation is gone');
    const id = randomUUID();
    await insertAttachment(t.ctx.store, {
      id,
      ...at,
      messageId: message.id,
      fileName,
      contentType: 'image/png',
      sizeBytes: 2048,
      storageKey: attachmentStorageKey({ ...at, attachmentId: id }),
      now,
    });
    return { messageId: message.id, attachmentId: id };
  }

  it('stores an attachment under the id it is given and lists it with its message', async () => {
    const a = await scene();
    await insertMessage(t.ctx.store, {
      ...a,
      clientMessageId: randomUUID(),
      authorKind: 'visitor',
      body: 'hi',
      now: 1,
    });
    const file = await messageWithFile(a, 'photo.png');
    expect(await getAttachment(t.ctx.store, { accountId: a.accountId, attachmentId: file.attachmentId })).toMatchObject(
      {
        id: file.attachmentId,
        messageId: file.messageId,
        fileName: 'photo.png',
        storageKey: `accounts/${a.accountId}/conversations/${a.conversationId}/attachments/${file.attachmentId}`,
      },
    );
    const messages = await listMessages(t.ctx.store, a);
    expect(messages.map((m) => [m.body, m.attachment])).toEqual([
      ['hi', undefined],
      ['photo.png', { id: file.attachmentId, contentType: 'image/png', sizeBytes: 2048 }],
    ]);
    expect(Object.keys(messages[0] ?? {})).not.toContain('attachment');
  });

  it("finds an attachment's metadata with its conversation's visitor, within its account only", async () => {
    const a = await scene();
    const b = await scene();
    const file = await messageWithFile(a, 'photo.png');
    expect(
      await findAttachmentMeta(t.ctx.database.db, { accountId: a.accountId, attachmentId: file.attachmentId }),
    ).toEqual({
      id: file.attachmentId,
      conversationId: a.conversationId,
      messageId: file.messageId,
      contentType: 'image/png',
      sizeBytes: 2048,
      storageKey: attachmentStorageKey({ ...a, attachmentId: file.attachmentId }),
      visitorId: a.visitorId,
      messageKind: 'text',
    });
    expect(
      await findAttachmentMeta(t.ctx.database.db, { accountId: b.accountId, attachmentId: file.attachmentId }),
    ).toBeUndefined();
  });

  it("lists the attachments of messages within one conversation of the account, never another's", async () => {
    const a = await scene();
    const b = await scene();
    const file = await messageWithFile(a, 'photo.png');
    const where = { conversationId: a.conversationId, messageIds: [file.messageId] };
    expect([
      ...(await listAttachmentsOfMessages(t.ctx.database.db, { accountId: a.accountId, ...where })).keys(),
    ]).toEqual([file.messageId]);
    expect((await listAttachmentsOfMessages(t.ctx.database.db, { accountId: b.accountId, ...where })).size).toBe(0);
    expect(
      (
        await listAttachmentsOfMessages(t.ctx.database.db, {
          accountId: a.accountId,
          conversationId: a.conversationId,
          messageIds: [],
        })
      ).size,
    ).toBe(0);
  });
});
