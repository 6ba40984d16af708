import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Role } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { listAuditEntries } from '../../storage/audit-repository.js';
import { sumRollups } from '../../storage/rollup-sums.js';
import { localSlot } from '../../storage/local-time.js';
import { tokensOf as storedTokensOf } from '../../storage/search-repository.js';
import { seedVisitor } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import type { Principal } from '../principal.js';
import { deleteMessage } from './delete-message.js';
import { conversationChannel } from './events.js';
import { sendMessage } from './send-message.js';
import { startConversation } from './start-conversation.js';

// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const MARKER = `MARKER-delete-message-${randomUUID()}`;

describe(`deleteMessage (${testDialect})`, () => {
  let t: TestContext;
  let visitor: VisitorTokenClaims;
  let conversationId: string;
  beforeEach(async () => {
    t = await createTestContext();
    visitor = await seedVisitor(t.ctx);
    ({ conversationId } = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } }));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const author = () => ({ kind: 'visitor' as const, accountId: visitor.accountId, visitorId: visitor.visitorId });
  const as = (role: Role, accountId = visitor.accountId): Principal => ({
    kind: 'operator',
    accountId,
    operatorId: randomUUID(),
    role,
    sessionId: 's',
  });
  const send = async (body: string, to = conversationId) =>
    (await sendMessage(t.ctx, { author: author(), conversationId: to, clientMessageId: randomUUID(), body })).messageId;
  const rollups = () => {
    const day = localSlot('UTC', t.clock.now()).day;
    return sumRollups(db(), { accountId: visitor.accountId, fromDay: day, toDay: day });
  };
  const messageIds = async () =>
    (await db().selectFrom('messages').select('id').orderBy('seq').execute()).map((m) => m.id);
  /** The search tokens of a message (its blob). */
  const tokensOf = async (messageId: string) => {
    const row = await db()
      .selectFrom('messages')
      .select('search_tokens')
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    return storedTokensOf(row.search_tokens ?? Buffer.alloc(0));
  };
  /** How many of `tokens` the conversation's search index holds. */
  const indexed = async (tokens: Buffer[]) =>
    (
      await db()
        .selectFrom('conversation_tokens')
        .select('token')
        .where('conversation_id', '=', conversationId)
        .where('token', 'in', tokens)
        .execute()
    ).length;

  /** The raw bytes of the database: the SQLite file and its WAL, or a pg_dump of the test schema. */
  function rawDatabase(): Buffer {
    if (t.ctx.database.dialect === 'sqlite') {
      const file = t.ctx.database.file ?? '';
      return Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`)]);
    }
    return execFileSync('pg_dump', ['--schema', t.schema ?? '', process.env.DATABASE_URL ?? ''], {
      maxBuffer: 256 * 1024 * 1024,
    });
  }
  /** How a sealed value appears in the raw bytes: as is in SQLite, as hex in a pg_dump. */
  const appearance = (bytes: Buffer) =>
    t.ctx.database.dialect === 'postgres' ? Buffer.from(bytes.toString('hex'), 'utf8') : bytes;

  it('deletes the message with its search tokens, records the erasure and audits it, and leaves the rest', async () => {
    const kept = await send('Where is parcel 4711?');
    const doomed = await send(`${MARKER} my secret address`);
    const sealed = await db()
      .selectFrom('messages')
      .select('body_sealed')
      .where('id', '=', doomed)
      .executeTakeFirstOrThrow();
    expect(rawDatabase().includes(appearance(Buffer.from(sealed.body_sealed))), 'the scan sees the sealed body').toBe(
      true,
    );
    const doomedTokens = await tokensOf(doomed);
    const keptTokens = await tokensOf(kept);
    expect(doomedTokens.length).toBeGreaterThan(0);
    expect(await indexed(doomedTokens)).toBe(doomedTokens.length);
    const before = await rollups();
    const events: unknown[] = [];
    const unsubscribe = await t.ctx.bus.subscribe(conversationChannel(conversationId), (e) => events.push(e));
    t.clock.advance(1000);

    await deleteMessage(t.ctx, { by: as('admin'), conversationId, messageId: doomed });

    expect(await messageIds()).toEqual([kept]);
    // The words only the deleted message held leave the index; the other message's stay.
    expect(await indexed(doomedTokens)).toBe(0);
    expect(await indexed(keptTokens)).toBe(keptTokens.length);
    expect(await rollups()).toEqual(before);
    const key = await db()
      .selectFrom('keyring')
      .select('wrapped_key')
      .where('subject_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    expect(key.wrapped_key, 'the conversation key still seals the rest').not.toBeNull();
    expect(
      await db().selectFrom('erasure_records').select(['subject_kind', 'subject_id', 'erased_at']).execute(),
    ).toEqual([{ subject_kind: 'message', subject_id: doomed, erased_at: t.clock.now() }]);
    const [entry] = await listAuditEntries(db(), { accountId: visitor.accountId, limit: 1 });
    expect(entry).toMatchObject({
      actorKind: 'operator',
      action: 'message.deleted',
      targetKind: 'message',
      targetIds: [doomed, conversationId],
      count: 1,
    });
    const raw = rawDatabase();
    expect(raw.includes(MARKER)).toBe(false);
    expect(raw.includes(appearance(Buffer.from(sealed.body_sealed))), 'the sealed body is gone from the bytes').toBe(
      false,
    );
    await expect
      .poll(() => events)
      .toContainEqual({
        type: 'message.deleted',
        accountId: visitor.accountId,
        conversationId,
        messageId: doomed,
        seq: 2,
      });
    await unsubscribe();
  });

  it("deletes a file message's attachment row and file", async () => {
    const sent = await sendAttachment(t.ctx, {
      author: author(),
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'receipt.png',
      data: PNG,
    });
    const { storage_key: file } = await db()
      .selectFrom('attachments')
      .select('storage_key')
      .where('id', '=', sent.attachment.id)
      .executeTakeFirstOrThrow();
    expect(await t.ctx.fileStore.get(file)).toBeDefined();

    await deleteMessage(t.ctx, { by: as('owner'), conversationId, messageId: sent.messageId });

    expect(await db().selectFrom('attachments').select('id').execute()).toEqual([]);
    expect(await messageIds()).toEqual([]);
    expect(await t.ctx.fileStore.get(file)).toBeUndefined();
  });

  it("answers not_found for an unknown id, another conversation's and another account's message, and forbidden below admin", async () => {
    const messageId = await send('Hello');
    const other = await startConversation(t.ctx, { visitor, consent: { version: 'en-1' } });
    const stranger = await seedVisitor(t.ctx);
    const attempts: [Principal, string, string][] = [
      [as('admin'), conversationId, randomUUID()],
      [as('admin'), other.conversationId, messageId],
      [as('admin', stranger.accountId), conversationId, messageId],
      [as('admin'), randomUUID(), messageId],
    ];
    for (const [by, inConversation, id] of attempts) {
      await expect(deleteMessage(t.ctx, { by, conversationId: inConversation, messageId: id })).rejects.toMatchObject({
        code: 'not_found',
      });
    }
    await expect(deleteMessage(t.ctx, { by: as('operator'), conversationId, messageId })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const token: Principal = {
      kind: 'api_token',
      accountId: visitor.accountId,
      tokenId: 't',
      scope: 'write',
      role: 'admin',
    };
    await deleteMessage(t.ctx, { by: token, conversationId, messageId });
    await expect(deleteMessage(t.ctx, { by: token, conversationId, messageId })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await db().selectFrom('erasure_records').select('reason').execute()).toEqual([{ reason: 'API request' }]);
  });
});
