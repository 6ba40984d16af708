import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyDestroyedError } from '../crypto/errors.js';
import type { Context } from '../context.js';
import { insertTestOperator } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { insertAccount } from './accounts-repository.js';
import { listApiTokens, insertApiToken, revokeApiToken } from './api-tokens-repository.js';
import { getAttachment, insertAttachment } from './attachments-repository.js';
import { insertAuditEntry, listAuditEntries } from './audit-repository.js';
import { getContact, insertContact, listContacts } from './contacts-repository.js';
import { getConversation, insertConversation, rateConversation } from './conversations-repository.js';
import { insertMessage, listMessages } from './messages-repository.js';
import {
  countOwners,
  getOperator,
  getTotpSecret,
  listOperators,
  setOperatorRole,
  setTotp,
} from './operators-repository.js';
import { inTransaction } from './sealed-store.js';
import { findSession, insertSession } from './sessions-repository.js';
import { insertVisitor, insertWidget, listWidgets } from './widgets-repository.js';

/** One account with one of everything, written through the repositories. */
async function seedAccount(ctx: Context, label: string, options: { owners: number }) {
  const now = ctx.clock.now();
  const accountId = randomUUID();
  await inTransaction(ctx.store, async (tx) => {
    await insertAccount(tx.db, { id: accountId, name: label, plan: 'standard', retentionMonths: 12, now });
    await tx.keyring.createAccountKey(tx.db, { accountId, now });
  });
  const operators = [];
  for (let i = 0; i < options.owners; i++) {
    operators.push(
      await insertTestOperator(ctx.store, {
        accountId,
        email: `${label}-${i}-${randomUUID()}@example.test`,
        displayName: `${label} owner ${i}`,
        role: 'owner',
        passwordHash: 'not-a-real-hash',
        now,
      }),
    );
  }
  const operator = operators[0];
  if (!operator) throw new Error('seedAccount needs at least one owner');
  await setTotp(ctx.store, { accountId, operatorId: operator.id, secret: `${label}-totp`, enabled: true, now });
  const contactEmail = `${label}-contact@example.test`;
  const contactId = await insertContact(ctx.store, { accountId, name: `${label} contact`, email: contactEmail, now });
  const widget = await insertWidget(ctx.database.db, { accountId, name: `${label} widget`, now });
  const visitorId = await insertVisitor(ctx.database.db, { accountId, widgetId: widget.id, now });
  const conversationId = await insertConversation(ctx.store, {
    accountId,
    widgetId: widget.id,
    visitorId,
    contactId,
    now,
  });
  for (const body of [`${label} hello`, `${label} bye`]) {
    await insertMessage(ctx.store, {
      accountId,
      conversationId,
      clientMessageId: randomUUID(),
      authorKind: 'visitor',
      body,
      now,
    });
  }
  await rateConversation(ctx.store, { accountId, conversationId, rating: 3, comment: `${label} ok`, now });
  const attachmentId = await insertAttachment(ctx.store, {
    accountId,
    conversationId,
    fileName: `${label}.pdf`,
    contentType: 'application/pdf',
    sizeBytes: 10,
    storageKey: `attachments/${randomUUID()}`,
    now,
  });
  const tokenId = randomUUID();
  await insertApiToken(ctx.database.db, {
    id: tokenId,
    account_id: accountId,
    created_by: operator.id,
    name: `${label} token`,
    token_hash: createHash('sha256').update(randomBytes(32)).digest('hex'),
    scope: 'write',
    created_at: now,
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
  });
  const sessionId = createHash('sha256').update(randomBytes(32)).digest('hex');
  await insertSession(ctx.database.db, {
    id: sessionId,
    accountId,
    operatorId: operator.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3_600_000,
  });
  await insertAuditEntry(ctx.database.db, {
    accountId,
    actorKind: 'operator',
    actorId: operator.id,
    action: 'test.seeded',
    targetKind: 'account',
    targetIds: [accountId],
    at: now,
  });
  return {
    accountId,
    operatorId: operator.id,
    contactId,
    contactEmail,
    widgetId: widget.id,
    conversationId,
    attachmentId,
    tokenId,
    sessionId,
  };
}

type Seeded = Awaited<ReturnType<typeof seedAccount>>;

/** Everything of an account as the repositories (and, for rows without a reader, the tables) show it. */
async function snapshot(ctx: Context, s: Seeded) {
  const { accountId } = s;
  const db = ctx.database.db;
  const rows = (table: 'operators' | 'contacts' | 'conversations' | 'messages' | 'attachments' | 'api_tokens') =>
    db.selectFrom(table).selectAll().where('account_id', '=', accountId).orderBy('id').execute();
  return {
    operators: await listOperators(ctx.store, { accountId }),
    totp: await getTotpSecret(ctx.store, { accountId, operatorId: s.operatorId }),
    owners: await countOwners(ctx.store, { accountId }),
    contact: await getContact(ctx.store, { accountId, contactId: s.contactId }),
    conversation: await getConversation(ctx.store, { accountId, conversationId: s.conversationId }),
    messages: await listMessages(ctx.store, { accountId, conversationId: s.conversationId }),
    attachment: await getAttachment(ctx.store, { accountId, attachmentId: s.attachmentId }),
    widgets: await listWidgets(db, { accountId }),
    tokens: await listApiTokens(db, { accountId }),
    session: await findSession(db, s.sessionId),
    audit: await listAuditEntries(db, { accountId, limit: 100 }),
    rows: {
      operators: await rows('operators'),
      contacts: await rows('contacts'),
      conversations: await rows('conversations'),
      messages: await rows('messages'),
      attachments: await rows('attachments'),
      apiTokens: await rows('api_tokens'),
      keyring: await db.selectFrom('keyring').selectAll().where('account_id', '=', accountId).orderBy('id').execute(),
    },
  };
}

/** Runs a call that must not reach another account: it may refuse with KeyDestroyedError or return its answer. */
async function refusedOrResult<T>(call: () => Promise<T>): Promise<T | 'refused'> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KeyDestroyedError) return 'refused';
    throw error;
  }
}

describe(`tenancy (${testDialect})`, () => {
  let t: TestContext;
  let a: Seeded;
  let b: Seeded;
  let bBefore: Awaited<ReturnType<typeof snapshot>>;
  beforeEach(async () => {
    t = await createTestContext();
    a = await seedAccount(t.ctx, 'a', { owners: 1 });
    b = await seedAccount(t.ctx, 'b', { owners: 2 });
    bBefore = await snapshot(t.ctx, b);
    // The seed must really have written B's data, or "unchanged" would prove nothing.
    expect(bBefore.operators).toHaveLength(2);
    expect(bBefore.totp).toBe('b-totp');
    expect(bBefore.contact?.name).toBe('b contact');
    expect(bBefore.conversation?.ratingComment).toBe('b ok');
    expect(bBefore.messages.map((m) => m.body)).toEqual(['b hello', 'b bye']);
    expect(bBefore.attachment?.fileName).toBe('b.pdf');
    expect(bBefore.tokens).toHaveLength(1);
    expect(bBefore.session?.accountId).toBe(b.accountId);
    expect(bBefore.audit).toHaveLength(1);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("reads none of another account's rows by their ids", async () => {
    const { store } = t.ctx;
    const db = t.ctx.database.db;
    const accountId = a.accountId;
    expect(await getOperator(store, { accountId, operatorId: b.operatorId })).toBeUndefined();
    expect(await getTotpSecret(store, { accountId, operatorId: b.operatorId })).toBeNull();
    expect(await getContact(store, { accountId, contactId: b.contactId })).toBeUndefined();
    expect((await listContacts(store, { accountId, email: b.contactEmail, limit: 50 })).map((c) => c.id)).toEqual([]);
    expect(await getConversation(store, { accountId, conversationId: b.conversationId })).toBeUndefined();
    expect(await listMessages(store, { accountId, conversationId: b.conversationId })).toEqual([]);
    expect(await getAttachment(store, { accountId, attachmentId: b.attachmentId })).toBeUndefined();
    // The same calls with B's own account id find B's rows: the ids above were real.
    expect(await getOperator(store, { accountId: b.accountId, operatorId: b.operatorId })).toBeDefined();
    expect(
      (await listContacts(store, { accountId: b.accountId, email: b.contactEmail, limit: 50 })).map((c) => c.id),
    ).toEqual([b.contactId]);
    expect(await getAttachment(store, { accountId: b.accountId, attachmentId: b.attachmentId })).toBeDefined();

    expect((await listOperators(store, { accountId })).map((o) => o.id)).toEqual([a.operatorId]);
    expect(await countOwners(store, { accountId })).toBe(1);
    expect((await listWidgets(db, { accountId })).map((w) => w.id)).toEqual([a.widgetId]);
    expect((await listApiTokens(db, { accountId })).map((tk) => tk.id)).toEqual([a.tokenId]);
    const audit = await listAuditEntries(db, { accountId, limit: 100 });
    expect(audit.map((e) => e.accountId)).toEqual([accountId]);
    expect(audit.flatMap((e) => e.targetIds)).not.toContain(b.accountId);
  });

  it('changes nothing of another account through updates and deletes by its ids', async () => {
    const { store } = t.ctx;
    const db = t.ctx.database.db;
    const accountId = a.accountId;
    const now = t.clock.now() + 1000;

    expect(await setOperatorRole(store, { accountId, operatorId: b.operatorId, role: 'operator', now })).toBe(false);
    expect(
      await refusedOrResult(() =>
        setTotp(store, { accountId, operatorId: b.operatorId, secret: 'stolen', enabled: false, now }),
      ),
    ).toBe('refused');
    expect(
      await refusedOrResult(() =>
        rateConversation(store, { accountId, conversationId: b.conversationId, rating: 1, comment: 'bad', now }),
      ),
    ).toBe(false);
    expect(
      await refusedOrResult(() =>
        insertMessage(store, {
          accountId,
          conversationId: b.conversationId,
          clientMessageId: randomUUID(),
          authorKind: 'operator',
          body: 'injected',
          now,
        }),
      ),
    ).toBeUndefined();
    await expect(
      insertAttachment(store, {
        accountId,
        conversationId: b.conversationId,
        fileName: 'injected.exe',
        contentType: 'application/octet-stream',
        sizeBytes: 1,
        storageKey: 'attachments/injected',
        now,
      }),
    ).rejects.toThrow(KeyDestroyedError);
    expect(await revokeApiToken(db, { accountId, tokenId: b.tokenId, now })).toBe(false);

    expect(await snapshot(t.ctx, b)).toEqual(bBefore);
    // Nothing was written under A's id into B's conversation either.
    const stray = await db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', b.conversationId)
      .where('account_id', '=', accountId)
      .execute();
    const strayAttachments = await db
      .selectFrom('attachments')
      .select('id')
      .where('conversation_id', '=', b.conversationId)
      .where('account_id', '=', accountId)
      .execute();
    expect([...stray, ...strayAttachments]).toEqual([]);
  });

  it("keeps another account's keys from an account, also after they were used and cached", async () => {
    const db = t.ctx.database.db;
    const subjects = [
      { kind: 'operator', subjectId: b.operatorId },
      { kind: 'contact', subjectId: b.contactId },
      { kind: 'conversation', subjectId: b.conversationId },
    ] as const;
    for (const subject of subjects) {
      // B's own lookup works (and puts the key in the cache) …
      await expect(t.ctx.keyring.subjectKey(db, { accountId: b.accountId, ...subject })).resolves.toBeDefined();
      // … A's lookup of the same subject does not.
      await expect(t.ctx.keyring.subjectKey(db, { accountId: a.accountId, ...subject }), subject.kind).rejects.toThrow(
        KeyDestroyedError,
      );
    }
    await expect(
      t.ctx.keyring.subjectKey(db, { accountId: a.accountId, kind: 'conversation', subjectId: b.accountId }),
    ).rejects.toThrow(KeyDestroyedError);
    expect(await snapshot(t.ctx, b)).toEqual(bBefore);
  });

  it('still lets each account change its own rows (the refusals above are about the account, not the call)', async () => {
    const { store } = t.ctx;
    const now = t.clock.now() + 1000;
    const accountId = b.accountId;
    expect(await setOperatorRole(store, { accountId, operatorId: b.operatorId, role: 'admin', now })).toBe(true);
    expect(
      await rateConversation(store, { accountId, conversationId: b.conversationId, rating: 5, comment: 'top', now }),
    ).toBe(true);
    expect(await revokeApiToken(t.ctx.database.db, { accountId, tokenId: b.tokenId, now })).toBe(true);
    const after = await snapshot(t.ctx, b);
    expect(after.owners).toBe(1);
    expect(after.conversation?.ratingComment).toBe('top');
    expect(after.tokens).toEqual([]);
  });
});
