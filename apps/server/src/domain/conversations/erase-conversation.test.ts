import { randomUUID } from 'node:crypto';
import type { Role } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { setConversationContact } from '../../storage/conversations-repository.js';
import { sumRollups } from '../../storage/rollup-sums.js';
import { localSlot } from '../../storage/local-time.js';
import { seedAnotherVisitor, seedVisitor } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import { identifyVisitor } from '../contacts/identify-visitor.js';
import type { Principal } from '../principal.js';
import { closeConversation } from './close-conversation.js';
import { eraseConversation } from './erase-conversation.js';
import { sendMessage } from './send-message.js';
import { startConversation } from './start-conversation.js';

// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe(`eraseConversation (${testDialect})`, () => {
  let t: TestContext;
  let visitor: VisitorTokenClaims;
  beforeEach(async () => {
    t = await createTestContext();
    visitor = await seedVisitor(t.ctx);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const by = (of: VisitorTokenClaims) => ({
    kind: 'visitor' as const,
    accountId: of.accountId,
    visitorId: of.visitorId,
  });
  const db = () => t.ctx.database.db;
  const rollups = () => {
    const day = localSlot('UTC', t.clock.now()).day;
    return sumRollups(db(), { accountId: visitor.accountId, fromDay: day, toDay: day });
  };
  const keyOf = (subjectId: string) =>
    db()
      .selectFrom('keyring')
      .select(['wrapped_key', 'destroyed_at'])
      .where('subject_id', '=', subjectId)
      .executeTakeFirstOrThrow();

  /** A conversation of `visitor` with a message, a file and a contact. */
  async function conversationWithEverything(): Promise<{ conversationId: string; contactId: string; file: string }> {
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const author = by(visitor);
    await sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body: 'My order 4711' });
    const sent = await sendAttachment(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'receipt.png',
      data: PNG,
    });
    const { contactId } = await identifyVisitor(t.ctx, { visitor, conversationId, name: 'Ada' });
    const row = await db()
      .selectFrom('attachments')
      .select('storage_key')
      .where('id', '=', sent.attachment.id)
      .executeTakeFirstOrThrow();
    return { conversationId, contactId, file: row.storage_key };
  }

  it('deletes the rows, files and keys of a conversation and its contact, keeps ids in the records and leaves the rollups', async () => {
    const { conversationId, contactId, file } = await conversationWithEverything();
    await closeConversation(t.ctx, { by: by(visitor), conversationId });
    const before = await rollups();
    expect(await t.ctx.fileStore.get(file)).toBeDefined();
    t.clock.advance(1000);

    expect(await eraseConversation(t.ctx, { conversationId, by: by(visitor) })).toEqual({
      messages: 2,
      attachments: 1,
      contactId,
    });

    for (const table of ['attachments', 'messages'] as const) {
      expect(await db().selectFrom(table).select('id').where('conversation_id', '=', conversationId).execute()).toEqual(
        [],
      );
    }
    expect(await db().selectFrom('conversations').select('id').execute()).toEqual([]);
    expect(await db().selectFrom('contacts').select('id').execute()).toEqual([]);
    for (const subjectId of [conversationId, contactId]) {
      expect(await keyOf(subjectId)).toEqual({ wrapped_key: null, destroyed_at: t.clock.now() });
    }
    expect(await t.ctx.fileStore.get(file)).toBeUndefined();
    const records = await db()
      .selectFrom('erasure_records')
      .select(['subject_kind', 'subject_id', 'reason', 'erased_at'])
      .orderBy('subject_kind')
      .execute();
    expect(records).toEqual([
      { subject_kind: 'contact', subject_id: contactId, reason: 'visitor request', erased_at: t.clock.now() },
      { subject_kind: 'conversation', subject_id: conversationId, reason: 'visitor request', erased_at: t.clock.now() },
    ]);
    const [entry] = await listAuditEntries(db(), { accountId: visitor.accountId, limit: 1 });
    expect(entry).toMatchObject({
      actorKind: 'visitor',
      actorId: visitor.visitorId,
      action: 'conversation.erased',
      targetKind: 'conversation',
      targetIds: [conversationId, contactId],
      count: 2,
    });
    expect(await rollups()).toEqual(before);
  });

  it('closes an open conversation first, counted as any close, and answers not_found when it is erased again', async () => {
    const { conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    t.clock.advance(30_000);
    await eraseConversation(t.ctx, { conversationId, by: by(visitor) });
    expect(await rollups()).toEqual(
      expect.arrayContaining([
        { metric: 'conversations.closed', value: 1 },
        { metric: 'duration.total_ms', value: 30_000 },
      ]),
    );
    await expect(eraseConversation(t.ctx, { conversationId, by: by(visitor) })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await db().selectFrom('erasure_records').select('id').execute()).toHaveLength(1);
  });

  it('answers not_found to another visitor and leaves the conversation and its key as they were', async () => {
    const { conversationId, file } = await conversationWithEverything();
    const stranger = await seedAnotherVisitor(t.ctx, visitor);
    await expect(eraseConversation(t.ctx, { conversationId, by: by(stranger) })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await db().selectFrom('conversations').select(['id', 'status']).execute()).toEqual([
      { id: conversationId, status: 'waiting' },
    ]);
    expect(await db().selectFrom('messages').select('id').execute()).toHaveLength(2);
    expect((await keyOf(conversationId)).wrapped_key).not.toBeNull();
    expect(await t.ctx.fileStore.get(file)).toBeDefined();
    expect(await db().selectFrom('erasure_records').select('id').execute()).toEqual([]);
  });

  it('keeps a contact that another conversation still references', async () => {
    const { conversationId, contactId } = await conversationWithEverything();
    const other = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    await setConversationContact(db(), {
      accountId: visitor.accountId,
      conversationId: other.conversationId,
      contactId,
      now: t.clock.now(),
    });
    expect(await eraseConversation(t.ctx, { conversationId, by: by(visitor) })).toMatchObject({ contactId: null });
    expect(await db().selectFrom('contacts').select('id').execute()).toEqual([{ id: contactId }]);
    expect((await keyOf(contactId)).wrapped_key).not.toBeNull();
  });

  it('lets an admin of the account erase any of its conversations, and refuses operators and other accounts', async () => {
    const { conversationId, contactId } = await conversationWithEverything();
    const as = (role: Role, accountId = visitor.accountId): Principal => ({
      kind: 'operator',
      accountId,
      operatorId: randomUUID(),
      role,
      sessionId: 's',
    });
    await expect(eraseConversation(t.ctx, { conversationId, by: as('operator') })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const stranger = await seedVisitor(t.ctx);
    await expect(
      eraseConversation(t.ctx, { conversationId, by: as('admin', stranger.accountId) }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await db().selectFrom('conversations').select('id').where('id', '=', conversationId).execute()).toHaveLength(
      1,
    );

    const admin = as('admin');
    const adminId = admin.kind === 'operator' ? admin.operatorId : undefined;
    expect(await eraseConversation(t.ctx, { conversationId, by: admin })).toEqual({
      messages: 2,
      attachments: 1,
      contactId,
    });
    const [entry] = await listAuditEntries(db(), { accountId: visitor.accountId, limit: 1 });
    expect(entry).toMatchObject({ actorKind: 'operator', actorId: adminId, action: 'conversation.erased' });
    const reasons = await db().selectFrom('erasure_records').select('reason').distinct().execute();
    expect(reasons).toEqual([{ reason: 'operator request' }]);
  });
});
