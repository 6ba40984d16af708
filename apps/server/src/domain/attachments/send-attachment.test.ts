import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FILES_FOLDER } from '../../adapters/file-store/create-file-store.js';
import type { FileStore } from '../../adapters/file-store/file-store.js';
import type { Context } from '../../context.js';
import { listMessages } from '../../storage/messages-repository.js';
import { sumRollups } from '../../storage/rollup-sums.js';
import { hourlyMetric } from '../../storage/rollup-metrics.js';
import { localSlot } from '../../storage/local-time.js';
import { capturingLogger } from '../../test-support/capturing-logger.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { closeConversation } from '../conversations/close-conversation.js';
import { conversationChannel } from '../conversations/events.js';
import { sendMessage, type MessageAuthor } from '../conversations/send-message.js';
import { startConversation } from '../conversations/start-conversation.js';
import { authenticateVisitor, startVisitorSession } from '../visitors/start-visitor-session.js';
import { readAttachment } from './read-attachment.js';
import { sendAttachment } from './send-attachment.js';

type VisitorAuthor = Extract<MessageAuthor, { kind: 'visitor' }>;

describe(`sendAttachment (${testDialect})`, () => {
  let t: TestContext;
  let accountId: string;
  let ownerId: string;
  let publicKey: string;
  beforeEach(async () => {
    t = await createTestContext();
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    accountId = created.accountId;
    ownerId = created.owner.id;
    publicKey = created.widget.publicKey;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** A new visitor of the widget with a conversation of its own. */
  async function visitorWithConversation(
    ctx: Context = t.ctx,
  ): Promise<{ author: VisitorAuthor; conversationId: string }> {
    const session = await startVisitorSession(ctx, { publicKey });
    const visitor = await authenticateVisitor(ctx, session.token);
    const { conversationId } = await startConversation(ctx, { visitor, consent: { version: 'en-1' } });
    return { author: { kind: 'visitor', accountId, visitorId: visitor.visitorId }, conversationId };
  }

  /** Every stored object below the file store's folder (local store), as relative keys. */
  function storedKeys(): string[] {
    const root = path.join(t.dataDir, FILES_FOLDER);
    try {
      return readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
    } catch {
      return [];
    }
  }

  /** Gives the conversation to an operator, as accepting it would. */
  async function assign(conversationId: string, operatorId: string): Promise<void> {
    await t.ctx.database.db
      .updateTable('conversations')
      .set({ operator_id: operatorId, status: 'open' })
      .where('id', '=', conversationId)
      .execute();
  }

  /**
   * An operator of another account, given the conversation: the send passes every check but the one in
   * the transaction that the author belongs to the account, so it fails after the file was written.
   */
  async function foreignOperatorOn(conversationId: string): Promise<MessageAuthor> {
    const other = await createAccount(t.ctx, {
      name: 'Other',
      plan: 'standard',
      owner: { email: 'owner@other.test', displayName: 'Other', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    await assign(conversationId, other.owner.id);
    return { kind: 'operator', accountId, operatorId: other.owner.id };
  }

  async function countRows(table: 'messages' | 'attachments'): Promise<number> {
    const row = await t.ctx.database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('seals the file in the file store and commits the message with its attachment, counted like any message', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const marker = `MARKER-${randomUUID()}`;
    const data = Buffer.from(`Order number ${marker}\n`, 'utf8');
    const sent = await sendAttachment(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'C:\\Users\\ada\\order.txt',
      data,
    });
    expect(sent).toMatchObject({
      seq: 1,
      duplicate: false,
      attachment: { contentType: 'text/plain', sizeBytes: data.length },
    });

    const key = `accounts/${accountId}/conversations/${conversationId}/attachments/${sent.attachment.id}`;
    expect(storedKeys()).toEqual([key]);
    const raw = await t.ctx.fileStore.get(key);
    expect(raw?.length).toBeGreaterThan(data.length);
    expect(raw?.includes(Buffer.from(marker))).toBe(false);

    const [message] = await listMessages(t.ctx.store, { accountId, conversationId });
    expect(message).toMatchObject({ id: sent.messageId, body: 'order.txt', attachment: sent.attachment });
    const opened = await readAttachment(t.ctx, { reader: author, attachmentId: sent.attachment.id });
    expect(opened.data.equals(data)).toBe(true);
    expect(opened.fileName).toBe('order.txt');

    const day = localSlot('UTC', t.clock.now()).day;
    expect(await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day })).toEqual([
      { metric: 'conversations.started', value: 1 },
      { metric: hourlyMetric('conversations.started', localSlot('UTC', t.clock.now()).hour), value: 1 },
      { metric: 'messages.visitor', value: 1 },
    ]);
  });

  it('lets an operator of the account send a file, counted as their first answer', async () => {
    const { conversationId } = await visitorWithConversation();
    await assign(conversationId, ownerId);
    t.clock.advance(30_000);
    const sent = await sendAttachment(t.ctx, {
      author: { kind: 'operator', accountId, operatorId: ownerId },
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'offer.pdf',
      data: Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n'),
    });
    expect(sent.attachment.contentType).toBe('application/pdf');
    const day = localSlot('UTC', t.clock.now()).day;
    expect(await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day })).toEqual(
      expect.arrayContaining([
        { metric: 'messages.operator', value: 1 },
        { metric: 'first_response.count', value: 1 },
        { metric: 'first_response.total_ms', value: 30_000 },
        // Its histogram bucket: up to and including 30 s.
        { metric: 'first_response.le_30s', value: 1 },
      ]),
    );
  });

  it('answers a resend with the stored message and file and stores nothing new', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const input = { author, conversationId, clientMessageId: randomUUID(), fileName: 'a.txt', data: Buffer.from('hi') };
    const first = await sendAttachment(t.ctx, input);
    const again = await sendAttachment(t.ctx, { ...input, fileName: 'b.txt', data: Buffer.from('other bytes') });
    expect(again).toEqual({ ...first, duplicate: true });
    expect([await countRows('messages'), await countRows('attachments')]).toEqual([1, 1]);
    expect(storedKeys()).toHaveLength(1);
  });

  it('keeps one file when two sends of the same file race', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const input = { author, conversationId, clientMessageId: randomUUID(), fileName: 'a.txt', data: Buffer.from('hi') };
    const [a, b] = await Promise.all([sendAttachment(t.ctx, input), sendAttachment(t.ctx, input)]);
    expect(a.messageId).toBe(b.messageId);
    expect(a.attachment).toEqual(b.attachment);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect([await countRows('messages'), await countRows('attachments')]).toEqual([1, 1]);
    expect(storedKeys()).toEqual([expect.stringContaining(a.attachment.id)]);
  });

  it('deletes the written file when the transaction fails', async () => {
    const { conversationId } = await visitorWithConversation();
    const author = await foreignOperatorOn(conversationId);
    await expect(
      sendAttachment(t.ctx, {
        author,
        conversationId,
        clientMessageId: randomUUID(),
        fileName: 'a.txt',
        data: Buffer.from('hi'),
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(storedKeys()).toEqual([]);
    expect([await countRows('messages'), await countRows('attachments')]).toEqual([0, 0]);
  });

  it('logs, and still answers with the real error, when the leftover file cannot be deleted', async () => {
    const { conversationId } = await visitorWithConversation();
    const { logger, lines } = capturingLogger({ level: 'error' });
    const store = t.ctx.fileStore;
    const failingDelete: FileStore = {
      put: (key, data) => store.put(key, data),
      get: (key) => store.get(key),
      delete: () => Promise.reject(new Error('disk went away')),
      deletePrefix: (prefix) => store.deletePrefix(prefix),
      close: () => store.close(),
    };
    const ctx: Context = { ...t.ctx, logger, fileStore: failingDelete };
    const author = await foreignOperatorOn(conversationId);
    await expect(
      sendAttachment(ctx, {
        author,
        conversationId,
        clientMessageId: randomUUID(),
        fileName: 'a.txt',
        data: Buffer.from('hi'),
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(lines.join('')).toContain('Could not delete the file of an attachment that was not stored');
    expect(lines.join('')).toContain('disk went away');
  });

  it('refuses a closed conversation, writing no file', async () => {
    const { author, conversationId } = await visitorWithConversation();
    await closeConversation(t.ctx, { by: author, conversationId });
    await expect(
      sendAttachment(t.ctx, {
        author,
        conversationId,
        clientMessageId: randomUUID(),
        fileName: 'a.txt',
        data: Buffer.from('hi'),
      }),
    ).rejects.toMatchObject({ code: 'conversation_closed' });
    expect(storedKeys()).toEqual([]);
  });

  it("answers another visitor's conversation and an unknown one as not found, writing no file", async () => {
    const mine = await visitorWithConversation();
    const theirs = await visitorWithConversation();
    for (const conversationId of [theirs.conversationId, randomUUID()]) {
      await expect(
        sendAttachment(t.ctx, {
          author: mine.author,
          conversationId,
          clientMessageId: randomUUID(),
          fileName: 'a.txt',
          data: Buffer.from('hi'),
        }),
      ).rejects.toMatchObject({ code: 'not_found' });
    }
    expect(storedKeys()).toEqual([]);
  });

  it('refuses a disallowed type and a file over MAX_ATTACHMENT_BYTES before writing anything', async () => {
    await t.cleanup();
    t = await createTestContext({ env: { MAX_ATTACHMENT_BYTES: '1024' } });
    const created = await createAccount(t.ctx, {
      name: 'Small',
      plan: 'standard',
      owner: { email: 'owner@small.test', displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    accountId = created.accountId;
    publicKey = created.widget.publicKey;
    const { author, conversationId } = await visitorWithConversation();
    const send = (data: Buffer) =>
      sendAttachment(t.ctx, { author, conversationId, clientMessageId: randomUUID(), fileName: 'x.png', data });
    await expect(send(Buffer.from('a'.repeat(1025)))).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(send(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]))).rejects.toMatchObject({
      code: 'unsupported_file_type',
    });
    expect(await send(Buffer.from('a'.repeat(1024)))).toMatchObject({ duplicate: false });
  });

  it('refuses a client message id that already names a message without a file', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const clientMessageId = randomUUID();
    await sendMessage(t.ctx, { author, conversationId, clientMessageId, body: 'Hello' });
    await expect(
      sendAttachment(t.ctx, { author, conversationId, clientMessageId, fileName: 'a.txt', data: Buffer.from('hi') }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(storedKeys()).toEqual([]);
  });

  it('announces the message with its attachment, and its name only sealed', async () => {
    const { author, conversationId } = await visitorWithConversation();
    const events: unknown[] = [];
    const unsubscribe = await t.ctx.bus.subscribe(conversationChannel(conversationId), (event) => {
      events.push(event);
    });
    const sent = await sendAttachment(t.ctx, {
      author,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: 'secret-name.txt',
      data: Buffer.from('hi'),
    });
    // The bus delivers after publish has returned, as it would from another node.
    await vi.waitFor(() => expect(events).toHaveLength(1));
    await unsubscribe();
    expect(events).toEqual([
      expect.objectContaining({ type: 'message.created', messageId: sent.messageId, attachment: sent.attachment }),
    ]);
    expect(JSON.stringify(events)).not.toContain('secret-name');
  });
});
