import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { VisitorContext } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../context.js';
import { insertTestOperator } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { insertAccount } from './accounts-repository.js';
import { getAttachment, insertAttachment } from './attachments-repository.js';
import { getContact, insertContact, listContacts, type ContactFields } from './contacts-repository.js';
import { findConversationDetail } from './conversation-details.js';
import { getConversation, insertConversation, rateConversation } from './conversations-repository.js';
import { sealedPersonalColumns } from './data-map.js';
import { insertInvitation, listPendingInvitations } from './invitations-repository.js';
import { insertMessage, listMessages } from './messages-repository.js';
import { findLoginRecord, getOperator, getTotpSecret, setTotp } from './operators-repository.js';
import { inTransaction } from './sealed-store.js';
import { insertVisitor, insertWidget } from './widgets-repository.js';

/** What every writer needs: an account with a widget, in a context. */
interface Scene {
  ctx: Context;
  accountId: string;
  widgetId: string;
  now: number;
}

/** Writes `marker` into one sealed column through the repositories and returns it as read back through them. */
type Writer = (scene: Scene, marker: string) => Promise<string | null | undefined>;

async function newOperator(scene: Scene, fields: { email?: string; displayName?: string }) {
  return insertTestOperator(scene.ctx.store, {
    accountId: scene.accountId,
    email: fields.email ?? `op-${randomUUID()}@example.test`,
    displayName: fields.displayName ?? 'Operator',
    role: 'operator',
    passwordHash: 'not-a-real-hash',
    now: scene.now,
  });
}

async function writeContactField(scene: Scene, field: keyof ContactFields, marker: string) {
  const contactId = await insertContact(scene.ctx.store, {
    accountId: scene.accountId,
    [field]: marker,
    now: scene.now,
  });
  return (await getContact(scene.ctx.store, { accountId: scene.accountId, contactId }))?.[field];
}

async function newConversation(
  scene: Scene,
  fields: { visitorEmail?: string; visitorIp?: string; visitorContext?: VisitorContext } = {},
) {
  const visitorId = await insertVisitor(scene.ctx.database.db, {
    accountId: scene.accountId,
    widgetId: scene.widgetId,
    now: scene.now,
  });
  return insertConversation(scene.ctx.store, {
    accountId: scene.accountId,
    widgetId: scene.widgetId,
    visitorId,
    ...fields,
    now: scene.now,
  });
}

async function readConversation(scene: Scene, conversationId: string) {
  return getConversation(scene.ctx.store, { accountId: scene.accountId, conversationId });
}

/** One writer per sealed personal column of the data map, keyed `table.column`. */
const writers: Record<string, Writer> = {
  'operators.email_sealed': async (scene, marker) => {
    const operator = await newOperator(scene, { email: marker });
    return (await getOperator(scene.ctx.store, { accountId: scene.accountId, operatorId: operator.id }))?.email;
  },
  'operators.display_name_sealed': async (scene, marker) => {
    const operator = await newOperator(scene, { displayName: marker });
    return (await getOperator(scene.ctx.store, { accountId: scene.accountId, operatorId: operator.id }))?.displayName;
  },
  'operators.totp_secret_sealed': async (scene, marker) => {
    const operator = await newOperator(scene, {});
    const where = { accountId: scene.accountId, operatorId: operator.id };
    await setTotp(scene.ctx.store, { ...where, secret: marker, enabled: true, now: scene.now });
    return getTotpSecret(scene.ctx.store, where);
  },
  'contacts.name_sealed': (scene, marker) => writeContactField(scene, 'name', marker),
  'contacts.email_sealed': (scene, marker) => writeContactField(scene, 'email', marker),
  'contacts.phone_sealed': (scene, marker) => writeContactField(scene, 'phone', marker),
  'contacts.notes_sealed': (scene, marker) => writeContactField(scene, 'notes', marker),
  'conversations.visitor_email_sealed': async (scene, marker) =>
    (await readConversation(scene, await newConversation(scene, { visitorEmail: marker })))?.visitorEmail,
  'conversations.visitor_ip_sealed': async (scene, marker) =>
    (await readConversation(scene, await newConversation(scene, { visitorIp: marker })))?.visitorIp,
  'conversations.visitor_context_sealed': async (scene, marker) => {
    const page = 'https://shop.example.test/';
    const conversationId = await newConversation(scene, { visitorContext: { pageUrl: `${page}${marker}` } });
    const detail = await findConversationDetail(scene.ctx.store, { accountId: scene.accountId, conversationId });
    return detail?.visitorContext.pageUrl?.slice(page.length);
  },
  'conversations.rating_comment_sealed': async (scene, marker) => {
    const conversationId = await newConversation(scene);
    const rated = await rateConversation(scene.ctx.store, {
      accountId: scene.accountId,
      conversationId,
      rating: 4,
      comment: marker,
      now: scene.now,
    });
    expect(rated).toBe(true);
    return (await readConversation(scene, conversationId))?.ratingComment;
  },
  'messages.body_sealed': async (scene, marker) => {
    const conversationId = await newConversation(scene);
    await insertMessage(scene.ctx.store, {
      accountId: scene.accountId,
      conversationId,
      clientMessageId: randomUUID(),
      authorKind: 'visitor',
      body: marker,
      now: scene.now,
    });
    const [message] = await listMessages(scene.ctx.store, { accountId: scene.accountId, conversationId });
    return message?.body;
  },
  'attachments.file_name_sealed': async (scene, marker) => {
    const conversationId = await newConversation(scene);
    const attachmentId = await insertAttachment(scene.ctx.store, {
      accountId: scene.accountId,
      conversationId,
      fileName: marker,
      contentType: 'application/pdf',
      sizeBytes: 1234,
      storageKey: `attachments/${randomUUID()}`,
      now: scene.now,
    });
    return (await getAttachment(scene.ctx.store, { accountId: scene.accountId, attachmentId }))?.fileName;
  },
  'operator_invitations.email_sealed': async (scene, marker) => {
    const where = { accountId: scene.accountId, now: scene.now };
    const tokenHash = randomBytes(32).toString('base64url');
    await insertInvitation(scene.ctx.store, {
      ...where,
      email: marker,
      role: 'operator',
      tokenHash,
      createdBy: null,
      expiresAt: scene.now + 1,
    });
    return (await listPendingInvitations(scene.ctx.store, where))[0]?.email;
  },
};

/** A marker unique to this run and column; email columns get a lowercase address, as emails are stored lowercased. */
function markerFor(column: string): string {
  const tag = `${column.replace('.', '-')}-${randomBytes(6).toString('hex')}`;
  return /email/.test(column) ? `marker-${tag}@example.test`.toLowerCase() : `MARKER-${tag}`;
}

/** The byte strings that would give a marker away: as written, in either case. */
function variants(marker: string): string[] {
  return [...new Set([marker, marker.toLowerCase(), marker.toUpperCase()])];
}

/** The raw bytes the database keeps on disk (SQLite: the file and its WAL, not checkpointed) or dumps (PostgreSQL). */
function rawDatabase(t: TestContext): { text: string; bytes: Buffer } {
  if (t.ctx.database.dialect === 'sqlite') {
    const file = t.ctx.database.file ?? '';
    expect(existsSync(`${file}-wal`), 'the WAL must exist and be scanned').toBe(true);
    const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`)]);
    return { text: bytes.toString('latin1'), bytes };
  }
  const dump = execFileSync('pg_dump', ['--schema', t.schema ?? '', process.env.DATABASE_URL ?? ''], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return { text: dump.toString('utf8'), bytes: dump };
}

/**
 * How a value of a column would appear in the raw bytes: SQLite keeps text and blobs as bytes;
 * pg_dump writes bytea as hex, so an unsealed value in a bytea column would only show up in hex.
 */
function appearances(value: string | Buffer, dialect: string): Buffer[] {
  const bytes = Buffer.from(value);
  return dialect === 'postgres' ? [bytes, Buffer.from(bytes.toString('hex'), 'utf8')] : [bytes];
}

describe(`plaintext scan (${testDialect})`, () => {
  let t: TestContext;
  let scene: Scene;
  beforeEach(async () => {
    t = await createTestContext();
    const now = t.clock.now();
    const accountId = randomUUID();
    const widgetId = await inTransaction(t.ctx.store, async (tx) => {
      await insertAccount(tx.db, { id: accountId, name: 'Scan', plan: 'standard', retentionMonths: 12, now });
      await tx.keyring.createAccountKey(tx.db, { accountId, now });
      return (await insertWidget(tx.db, { accountId, name: 'Website', now })).id;
    });
    scene = { ctx: t.ctx, accountId, widgetId, now };
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('has a marker writer for every sealed personal column of the data map', () => {
    const columns = sealedPersonalColumns();
    expect(columns.length).toBeGreaterThan(0);
    expect(columns.filter((c) => !(c in writers))).toEqual([]);
    expect(Object.keys(writers).filter((c) => !columns.includes(c))).toEqual([]);
  });

  it('finds none of the markers written into every personal field in the raw database', async () => {
    const markers = new Map<string, string>();
    for (const column of sealedPersonalColumns()) {
      const writer = writers[column];
      if (!writer) throw new Error(`No marker writer for ${column}: add one to plaintext.test.ts`);
      const marker = markerFor(column);
      markers.set(column, marker);
      expect(await writer(scene, marker), `${column} read back`).toBe(marker);
    }
    // A control the scan must find: a plain, non-personal column, and a sealed value as stored.
    const control = `CONTROL-${randomBytes(6).toString('hex')}`;
    await insertWidget(t.ctx.database.db, { accountId: scene.accountId, name: control, now: scene.now });
    const sealedBody = await t.ctx.database.db.selectFrom('messages').select('body_sealed').executeTakeFirstOrThrow();

    const raw = rawDatabase(t);

    expect(raw.bytes.includes(control), 'the scan sees plain columns').toBe(true);
    const sealedForms = appearances(sealedBody.body_sealed, t.ctx.database.dialect);
    expect(
      sealedForms.some((form) => raw.bytes.includes(form)),
      'the scan sees sealed columns',
    ).toBe(true);
    const found: string[] = [];
    for (const [column, marker] of markers) {
      for (const variant of variants(marker)) {
        for (const form of appearances(variant, t.ctx.database.dialect)) {
          if (raw.bytes.includes(form)) found.push(`${column}: ${form.toString('utf8')}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('indexes operator and contact emails blindly: found by the index, absent from it', async () => {
    const operatorEmail = markerFor('operators.email_index');
    const contactEmail = markerFor('contacts.email_index');
    const operator = await newOperator(scene, { email: operatorEmail });
    const contactId = await insertContact(t.ctx.store, {
      accountId: scene.accountId,
      email: contactEmail,
      now: scene.now,
    });

    expect((await findLoginRecord(t.ctx.store, operatorEmail.toUpperCase()))?.operator.id).toBe(operator.id);
    expect(
      (
        await listContacts(t.ctx.store, {
          accountId: scene.accountId,
          email: ` ${contactEmail.toUpperCase()}`,
          limit: 50,
        })
      ).map((c) => c.id),
    ).toEqual([contactId]);

    const db = t.ctx.database.db;
    const operatorRow = await db.selectFrom('operators').select('email_index').where('id', '=', operator.id).execute();
    const contactRow = await db.selectFrom('contacts').select('email_index').where('id', '=', contactId).execute();
    const indexes = [
      [operatorEmail, operatorRow[0]?.email_index],
      [contactEmail, contactRow[0]?.email_index],
    ] as const;
    for (const [email, index] of indexes) {
      expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const localPart = email.split('@')[0] ?? email;
      for (const part of [email, localPart, localPart.split('-').at(-1) ?? localPart]) {
        expect(index?.toLowerCase()).not.toContain(part.toLowerCase());
      }
    }
    const raw = rawDatabase(t);
    for (const email of [operatorEmail, contactEmail]) {
      for (const variant of variants(email)) expect(raw.bytes.includes(variant), variant).toBe(false);
    }
  });
});
