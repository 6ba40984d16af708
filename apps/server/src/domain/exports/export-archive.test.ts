import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ExportDocument } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataMap, type ColumnClass } from '../../storage/data-map.js';
import { updateAccountSettings } from '../../storage/accounts-repository.js';
import { getContact, updateContact } from '../../storage/contacts-repository.js';
import { setConversationContact } from '../../storage/conversations-repository.js';
import { seedAnotherVisitor } from '../../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { sendAttachment } from '../attachments/send-attachment.js';
import { identifyVisitor } from '../contacts/identify-visitor.js';
import { closeConversation } from '../conversations/close-conversation.js';
import { leaveOfflineMessage } from '../conversations/leave-offline-message.js';
import { rateConversation } from '../conversations/rate-conversation.js';
import { sendMessage } from '../conversations/send-message.js';
import { startConversation } from '../conversations/start-conversation.js';
import { exportArchive } from './export-archive.js';
import { exportContact } from './export-contact.js';
import { planExport } from './export-plan.js';
import { exportVisitorData } from './export-visitor-data.js';
import { EXPORTED_COLUMNS } from './exported-columns.js';
import { PNG, readZip } from '../../test-support/zip.js';

async function bytesOf(archive: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer); // Safe: the zip stream carries Buffers.
  return Buffer.concat(chunks);
}

/** Every value at a path such as `conversations[].messages[].text`, across the lists it steps into. */
function valuesAt(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const step of path.split('.')) {
    const list = step.endsWith('[]');
    const name = list ? step.slice(0, -2) : step;
    current = current.flatMap((v) => {
      // Safe: only objects are indexed, and a member they lack reads as undefined.
      const next = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
      if (!list) return [next];
      return Array.isArray(next) ? (next as unknown[]) : []; // Safe: unknown claims nothing of the elements.
    });
  }
  return current;
}

const marker = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

describe(`the subject access export (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /**
   * A contact with every field, an identified chat (consent, page, IP, a visitor's and an operator's
   * message, an internal note, an image, a rating) and an offline message with an email linked to them.
   */
  async function scene() {
    const created = await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Olga Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    const { accountId } = created;
    const widget = { accountId, widgetId: created.widget.id };
    await updateAccountSettings(t.ctx.database.db, { accountId, settings: { showVisitorIp: true } });
    const visitor = await seedAnotherVisitor(t.ctx, widget);
    const { conversationId } = await startConversation(t.ctx, {
      visitor,
      consent: { version: 'en-1' },
      context: { pageUrl: 'https://shop.example/cart?token=secret', language: 'de', timeZone: 'Europe/Berlin' },
      clientAddress: '192.0.2.7',
    });
    const markers = { visitor: marker('VISITOR'), operator: marker('OPERATOR'), note: marker('NOTE') };
    const asVisitor = { kind: 'visitor' as const, accountId, visitorId: visitor.visitorId };
    const asOwner = { kind: 'operator' as const, accountId, operatorId: created.owner.id };
    const send = (author: typeof asVisitor | typeof asOwner, body: string, kind?: 'note') =>
      sendMessage(t.ctx, { author, conversationId, clientMessageId: randomUUID(), body, ...(kind ? { kind } : {}) });
    await send(asVisitor, `Hello ${markers.visitor}`);
    await t.ctx.database.db
      .updateTable('conversations')
      .set({ operator_id: created.owner.id, status: 'open' })
      .where('id', '=', conversationId)
      .execute();
    t.clock.advance(1000);
    await send(asOwner, `Hi ${markers.operator}`);
    await send(asOwner, `Internal: ${markers.note}`, 'note');
    const image = await sendAttachment(t.ctx, {
      author: asVisitor,
      conversationId,
      clientMessageId: randomUUID(),
      fileName: '../Quittung: März?.png',
      data: PNG,
    });
    const { contactId } = await identifyVisitor(t.ctx, { visitor, conversationId, name: 'Ada', email: 'ada@x.test' });
    await updateContact(t.ctx.store, {
      accountId,
      contactId,
      fields: { phone: '+49 30 1234', notes: 'VIP customer' },
      now: t.clock.now(),
    });
    await closeConversation(t.ctx, { by: { kind: 'system', accountId }, conversationId });
    await rateConversation(t.ctx, { visitor, conversationId, rating: 4, comment: 'Quick answer' });

    t.clock.advance(60_000);
    const other = await seedAnotherVisitor(t.ctx, widget);
    const offline = await leaveOfflineMessage(t.ctx, {
      visitor: other,
      clientMessageId: randomUUID(),
      body: 'Call me back',
      email: 'ada@x.test',
      consent: { version: 'en-1' },
    });
    await setConversationContact(t.ctx.database.db, {
      accountId,
      conversationId: offline.conversationId,
      contactId,
      now: t.clock.now(),
    });
    const by = { kind: 'cli' as const, accountId };
    return { accountId, conversationId, offline, contactId, visitor, other, markers, image, by };
  }

  it('declares where every exported column of a contact’s tables appears, and nothing the data map keeps out', () => {
    for (const [table, columns] of Object.entries(EXPORTED_COLUMNS)) {
      // Safe: EXPORTED_COLUMNS names tables of the schema, which the data map classifies all.
      const classes = dataMap[table as keyof typeof dataMap] as Record<string, ColumnClass>;
      for (const column of Object.keys(columns)) expect(classes[column]?.exported, `${table}.${column}`).toBe(true);
      // An operator's other exported columns belong to their own export, not a contact's.
      if (table === 'operators') continue;
      const exported = Object.entries(classes).filter(([, c]) => c.exported);
      expect(Object.keys(columns).sort(), table).toEqual(exported.map(([column]) => column).sort());
    }
  });

  it('fills every declared field, and no hash, blind index, storage key or account id appears', async () => {
    const s = await scene();
    const exported = await exportContact(t.ctx, { by: s.by, contactId: s.contactId });
    expect(exported.counts).toEqual({ contacts: 1, conversations: 2, messages: 5, attachments: 1 });
    const files = await readZip(await bytesOf(exported.archive));
    const text = files.get('export.json')?.toString('utf8') ?? '';
    const document = ExportDocument.parse(JSON.parse(text));

    for (const [table, columns] of Object.entries(EXPORTED_COLUMNS)) {
      for (const [column, path] of Object.entries(columns)) {
        const values = valuesAt(document, path).filter((v) => v !== undefined && v !== null);
        expect(values.length, `${table}.${column} at ${path}`).toBeGreaterThan(0);
      }
    }
    const [chat, offline] = document.conversations;
    expect(chat).toMatchObject({
      id: s.conversationId,
      contactId: s.contactId,
      consent: { version: 'en-1', at: '2026-01-15T12:00:00.000Z' },
      visitor: { id: s.visitor.visitorId },
      visitorContext: { pageUrl: 'https://shop.example/cart', language: 'de', timeZone: 'Europe/Berlin' },
      rating: { score: 4, comment: 'Quick answer' },
      visitorIp: '192.0.2.7',
      status: 'closed',
    });
    expect(chat?.messages.map((m) => [m.author, m.kind, m.operatorName ?? null])).toEqual([
      ['visitor', 'text', null],
      ['operator', 'text', 'Olga Owner'],
      ['operator', 'note', 'Olga Owner'],
      ['visitor', 'text', null],
    ]);
    const path = `attachments/${s.conversationId}/${s.image.attachment.id}-Quittung_ März_.png`;
    expect(chat?.messages[3]?.attachment).toEqual({
      name: 'Quittung: März?.png',
      contentType: 'image/png',
      sizeBytes: PNG.length,
      sentAt: '2026-01-15T12:00:01.000Z',
      path,
    });
    expect(files.get(path)?.equals(PNG)).toBe(true);
    expect(offline).toMatchObject({ origin: 'offline_message', offlineEmail: 'ada@x.test', visitorIp: null });
    expect(document.contacts).toEqual([
      expect.objectContaining({ name: 'Ada', email: 'ada@x.test', phone: '+49 30 1234', notes: 'VIP customer' }),
    ]);

    const db = t.ctx.database.db;
    const secrets: string[] = [s.accountId];
    for (const row of await db.selectFrom('operators').select(['password_hash', 'email_index']).execute()) {
      secrets.push(row.password_hash, row.email_index);
    }
    for (const row of await db.selectFrom('contacts').select('email_index').execute()) secrets.push(row.email_index!);
    for (const row of await db.selectFrom('attachments').select('storage_key').execute()) secrets.push(row.storage_key);
    for (const row of await db.selectFrom('conversation_tokens').select('token').execute()) {
      secrets.push(row.token.toString('hex'), row.token.toString('base64'), row.token.toString('base64url'));
    }
    for (const row of await db.selectFrom('keyring').select('wrapped_key').execute()) {
      if (row.wrapped_key) secrets.push(row.wrapped_key.toString('base64'), row.wrapped_key.toString('hex'));
    }
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text.includes(secret), secret).toBe(false);
  });

  it('writes a long transcript a page at a time, every message once and in order', async () => {
    const s = await scene();
    const asVisitor = { kind: 'visitor' as const, accountId: s.accountId, visitorId: s.other.visitorId };
    const bodies = Array.from({ length: 7 }, (_, i) => `follow-up ${i}`);
    for (const body of bodies) {
      const where = { conversationId: s.offline.conversationId, clientMessageId: randomUUID() };
      await sendMessage(t.ctx, { author: asVisitor, ...where, body });
    }
    const contact = await getContact(t.ctx.store, { accountId: s.accountId, contactId: s.contactId });
    const plan = await planExport(t.ctx, {
      accountId: s.accountId,
      subject: { kind: 'contacts', contacts: [contact!] },
    });
    const files = await readZip(await bytesOf(exportArchive(t.ctx, { plan, pageSize: 2 })));
    const document = ExportDocument.parse(JSON.parse(files.get('export.json')!.toString('utf8')));
    expect(document.conversations[1]?.messages.map((m) => m.text)).toEqual(['Call me back', ...bodies]);
    expect(document.conversations[0]?.messages).toHaveLength(4);
  });

  it('gives the visitor their own conversation without internal notes, and no IP once it expired', async () => {
    const s = await scene();
    t.clock.advance(24 * 60 * 60 * 1000);
    const exported = await exportVisitorData(t.ctx, { visitor: s.visitor });
    expect(exported.counts).toEqual({ contacts: 1, conversations: 1, messages: 3, attachments: 1 });
    const files = await readZip(await bytesOf(exported.archive));
    const text = files.get('export.json')!.toString('utf8');
    const document = ExportDocument.parse(JSON.parse(text));
    expect(document).toMatchObject({ scope: 'visitor', internalNotes: false });
    expect(document.conversations.map((c) => [c.id, c.visitorIp])).toEqual([[s.conversationId, null]]);
    expect(document.contacts).toEqual([expect.not.objectContaining({ notes: expect.anything() as unknown })]);
    expect(text).toContain(s.markers.visitor);
    expect(text).toContain(s.markers.operator);
    expect(text).not.toContain(s.markers.note);
    expect(text).not.toContain('VIP customer');
    expect(text).not.toContain('Call me back');
  });

  it('lists a file the store lost without a path, and exports everything else', async () => {
    const s = await scene();
    const row = await t.ctx.database.db.selectFrom('attachments').select('storage_key').executeTakeFirstOrThrow();
    await t.ctx.fileStore.delete(row.storage_key);
    const exported = await exportContact(t.ctx, { by: s.by, contactId: s.contactId });
    const files = await readZip(await bytesOf(exported.archive));
    expect([...files.keys()]).toEqual(['export.json']);
    const document = ExportDocument.parse(JSON.parse(files.get('export.json')!.toString('utf8')));
    expect(document.conversations[0]?.messages[3]?.attachment).toMatchObject({
      name: 'Quittung: März?.png',
      path: null,
    });
  });

  it('stops its work when the reader goes away before the end', async () => {
    const s = await scene();
    const exported = await exportContact(t.ctx, { by: s.by, contactId: s.contactId });
    const closed = new Promise((resolve) => exported.archive.once('close', resolve));
    exported.archive.once('data', () => exported.archive.destroy());
    await closed;
    expect(exported.archive.destroyed).toBe(true);
  });
});
