import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../context.js';
import { rotateMasterKey } from '../domain/keys/rotate-master-key.js';
import { insertAccount } from '../storage/accounts-repository.js';
import { getContact, insertContact } from '../storage/contacts-repository.js';
import { insertConversation, rateConversation } from '../storage/conversations-repository.js';
import { insertMessage, listMessages } from '../storage/messages-repository.js';
import { getMeta } from '../storage/meta-repository.js';
import { getOperator } from '../storage/operators-repository.js';
import { inTransaction } from '../storage/sealed-store.js';
import { insertWidget } from '../storage/widgets-repository.js';
import { createTestContext, testConfig, testDialect, type TestContext } from '../test-support/test-context.js';
import { KeyDestroyedError, MasterKeyMismatchError } from './errors.js';
import { loadMasterKey, MASTER_KEY_FILE, masterKeyId, NEXT_MASTER_KEY_FILE, writeNextMasterKey } from './master-key.js';
import { sealedKeyId } from './seal.js';

/** One account with an operator, a contact and a conversation holding two messages, all through repositories. */
async function seedAccount(ctx: Context, label: string) {
  const { accountId, operatorId, now } = await seedOwnerAccount(ctx, label);
  const operator = { id: operatorId };
  const contactId = await insertContact(ctx.store, { accountId, name: `${label} contact`, email: null, now });
  const widget = await insertWidget(ctx.database.db, { accountId, name: 'Website', now });
  const conversationId = await insertConversation(ctx.store, {
    accountId,
    widgetId: widget.id,
    visitorId: null,
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
  return { accountId, label, operatorId: operator.id, contactId, conversationId };
}

type Seeded = Awaited<ReturnType<typeof seedAccount>>;

/** Reads every sealed field of a seeded account back through the repositories. */
async function readAccount(ctx: Context, seeded: Seeded) {
  const { accountId } = seeded;
  const operator = await getOperator(ctx.store, { accountId, operatorId: seeded.operatorId });
  const contact = await getContact(ctx.store, { accountId, contactId: seeded.contactId });
  const messages = await listMessages(ctx.store, { accountId, conversationId: seeded.conversationId });
  return { displayName: operator?.displayName, contactName: contact?.name, bodies: messages.map((m) => m.body) };
}

const expectedRead = (seeded: Seeded) => ({
  displayName: `${seeded.label} operator`,
  contactName: `${seeded.label} contact`,
  bodies: [`${seeded.label} hello`, `${seeded.label} bye`],
});

function keyringRows(ctx: Context) {
  return ctx.database.db.selectFrom('keyring').selectAll().orderBy('id').execute();
}

function sealedMessageBodies(ctx: Context) {
  return ctx.database.db.selectFrom('messages').select(['id', 'body_sealed']).orderBy('id').execute();
}

function metaRows(ctx: Context) {
  return ctx.database.db.selectFrom('meta').selectAll().orderBy('key').execute();
}

describe(`keyring (${testDialect})`, () => {
  let t: TestContext;
  const opened: Context[] = [];
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    for (const ctx of opened.splice(0)) await ctx.close();
    await t.cleanup();
  });

  /** Opens another context on the same database: the same DATA_DIR (SQLite) or schema (PostgreSQL). */
  async function reopen(env?: Record<string, string>): Promise<Context> {
    const config = env ? testConfig(t.dataDir, env) : t.config;
    const ctx = await createContext(config, { clock: t.clock, ...(t.schema ? { schema: t.schema } : {}) });
    opened.push(ctx);
    return ctx;
  }

  /** The master key the test context was started with (generated key file or configured). */
  const currentMasterKey = () =>
    loadMasterKey({ configured: t.config.masterKey, embedded: t.config.embedded, dataDir: t.dataDir }).key;

  it('gives every operator, contact and conversation its own key, wrapped by its account key', async () => {
    const seeded = await seedAccount(t.ctx, 'acme');
    const rows = await keyringRows(t.ctx);
    const account = rows.find((r) => r.kind === 'account' && r.subject_id === seeded.accountId);
    expect(account?.wrapped_by).toBe(t.ctx.keyring.masterKeyId);
    const db = t.ctx.database.db;
    const keys = new Map<string, string>();
    for (const [kind, subjectId] of [
      ['operator', seeded.operatorId],
      ['contact', seeded.contactId],
      ['conversation', seeded.conversationId],
    ] as const) {
      const row = rows.find((r) => r.kind === kind && r.subject_id === subjectId);
      expect(row, kind).toMatchObject({ account_id: seeded.accountId, wrapped_by: account?.id, destroyed_at: null });
      const key = await t.ctx.keyring.subjectKey(db, { accountId: seeded.accountId, kind, subjectId });
      expect(key.id).toBe(row?.id);
      keys.set(kind, key.key.toString('hex'));
    }
    expect(new Set(keys.values()).size).toBe(3);

    // Each sealed column names the key of its own subject.
    const operator = await db.selectFrom('operators').selectAll().executeTakeFirstOrThrow();
    const contact = await db.selectFrom('contacts').selectAll().executeTakeFirstOrThrow();
    const message = await db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
    const idOf = (kind: string, subjectId: string) =>
      rows.find((r) => r.kind === kind && r.subject_id === subjectId)?.id;
    expect(sealedKeyId(operator.email_sealed)).toBe(idOf('operator', seeded.operatorId));
    expect(sealedKeyId(contact.name_sealed ?? Buffer.alloc(0))).toBe(idOf('contact', seeded.contactId));
    expect(sealedKeyId(message.body_sealed)).toBe(idOf('conversation', seeded.conversationId));
  });

  it('makes a destroyed key fail every read of its data with KeyDestroyedError, also with a cold cache', async () => {
    const seeded = await seedAccount(t.ctx, 'acme');
    const { accountId } = seeded;
    expect(await readAccount(t.ctx, seeded)).toEqual(expectedRead(seeded));
    const now = t.clock.now();
    await t.ctx.keyring.destroySubjectKey(t.ctx.database.db, {
      accountId,
      kind: 'contact',
      subjectId: seeded.contactId,
      now,
    });
    await t.ctx.keyring.destroySubjectKey(t.ctx.database.db, {
      accountId,
      kind: 'conversation',
      subjectId: seeded.conversationId,
      now,
    });

    const tombstones = (await keyringRows(t.ctx)).filter((r) => r.destroyed_at !== null);
    expect(tombstones.map((r) => [r.kind, r.wrapped_key])).toEqual(
      expect.arrayContaining([
        ['contact', null],
        ['conversation', null],
      ]),
    );
    for (const ctx of [t.ctx, await reopen()]) {
      await expect(getContact(ctx.store, { accountId, contactId: seeded.contactId })).rejects.toThrow(
        KeyDestroyedError,
      );
      await expect(listMessages(ctx.store, { accountId, conversationId: seeded.conversationId })).rejects.toThrow(
        KeyDestroyedError,
      );
      await expect(
        rateConversation(ctx.store, {
          accountId,
          conversationId: seeded.conversationId,
          rating: 5,
          comment: 'great',
          now,
        }),
      ).resolves.toBe(false);
      await expect(
        ctx.keyring.subjectKey(ctx.database.db, { accountId, kind: 'contact', subjectId: seeded.contactId }),
      ).rejects.toThrow(KeyDestroyedError);
      // The operator's key was not destroyed: its data stays readable.
      expect((await getOperator(ctx.store, { accountId, operatorId: seeded.operatorId }))?.displayName).toBe(
        'acme operator',
      );
    }
  });

  it('makes every key of an account unreadable when the account keys are destroyed, also with a cold cache', async () => {
    const gone = await seedAccount(t.ctx, 'gone');
    const kept = await seedAccount(t.ctx, 'kept');
    expect(await readAccount(t.ctx, gone)).toEqual(expectedRead(gone));
    const ids = await t.ctx.keyring.destroyAccountKeys(t.ctx.database.db, {
      accountId: gone.accountId,
      now: t.clock.now(),
    });
    expect(ids).toHaveLength(4);
    for (const ctx of [t.ctx, await reopen()]) {
      await expect(getContact(ctx.store, { accountId: gone.accountId, contactId: gone.contactId })).rejects.toThrow(
        KeyDestroyedError,
      );
      await expect(getOperator(ctx.store, { accountId: gone.accountId, operatorId: gone.operatorId })).rejects.toThrow(
        KeyDestroyedError,
      );
      await expect(ctx.keyring.accountKey(ctx.database.db, gone.accountId)).rejects.toThrow(KeyDestroyedError);
      expect(await readAccount(ctx, kept)).toEqual(expectedRead(kept));
    }
  });

  it("never hands out another account's subject key, whether the key is cached or not", async () => {
    const a = await seedAccount(t.ctx, 'a');
    const b = await seedAccount(t.ctx, 'b');
    const db = t.ctx.database.db;
    const subjects = [
      { kind: 'operator', subjectId: b.operatorId },
      { kind: 'contact', subjectId: b.contactId },
      { kind: 'conversation', subjectId: b.conversationId },
    ] as const;
    const cold = await reopen();
    for (const subject of subjects) {
      await expect(
        cold.keyring.subjectKey(cold.database.db, { accountId: a.accountId, ...subject }),
        `cold ${subject.kind}`,
      ).rejects.toThrow(KeyDestroyedError);
    }
    // Warm the cache with B's own lookups, then ask again as A.
    for (const subject of subjects) await t.ctx.keyring.subjectKey(db, { accountId: b.accountId, ...subject });
    for (const subject of subjects) {
      await expect(
        t.ctx.keyring.subjectKey(db, { accountId: a.accountId, ...subject }),
        `cached ${subject.kind}`,
      ).rejects.toThrow(KeyDestroyedError);
    }
    await expect(t.ctx.keyring.accountKey(db, randomUUID())).rejects.toThrow(KeyDestroyedError);
  });

  describe('with KEY_CACHE_SIZE=16', () => {
    let small: TestContext;
    beforeEach(async () => {
      small = await createTestContext({ env: { KEY_CACHE_SIZE: '16' } });
    });
    afterEach(async () => {
      await small.cleanup();
    });

    it('reads 50 keys back while keeping at most 16 of them in memory', async () => {
      const ctx = small.ctx;
      expect(ctx.config.keyCacheSize).toBe(16);
      const now = small.clock.now();
      const accountId = randomUUID();
      await inTransaction(ctx.store, async (tx) => {
        await insertAccount(tx.db, { id: accountId, name: 'many', plan: 'standard', retentionMonths: 12, now });
        await tx.keyring.createAccountKey(tx.db, { accountId, now });
      });
      const contactIds: string[] = [];
      for (let i = 0; i < 50; i++) {
        contactIds.push(await insertContact(ctx.store, { accountId, name: `contact ${i}`, now }));
      }
      for (const [i, contactId] of contactIds.entries()) {
        expect((await getContact(ctx.store, { accountId, contactId }))?.name).toBe(`contact ${i}`);
      }
      // Wipe the oldest contact's key behind the keyring's back: the keyring must go to the database
      // for it (it was evicted), and so finds it gone.
      const first = contactIds[0] ?? '';
      await ctx.database.db
        .updateTable('keyring')
        .set({ wrapped_key: null })
        .where('kind', '=', 'contact')
        .where('subject_id', '=', first)
        .execute();
      await expect(getContact(ctx.store, { accountId, contactId: first })).rejects.toThrow(KeyDestroyedError);
      // Every other key still reads, again and in reverse order, through evictions.
      for (const [i, contactId] of contactIds.entries()) {
        if (i === 0) continue;
        expect((await getContact(ctx.store, { accountId, contactId }))?.name).toBe(`contact ${i}`);
      }
    });
  });

  describe('master key rotation', () => {
    it('rewraps only the keys of the master key, leaves sealed data alone, and reads everything with the new key', async () => {
      const a = await seedAccount(t.ctx, 'a');
      const b = await seedAccount(t.ctx, 'b');
      const gone = await seedAccount(t.ctx, 'gone');
      await t.ctx.keyring.destroyAccountKeys(t.ctx.database.db, { accountId: gone.accountId, now: t.clock.now() });
      const keyringBefore = await keyringRows(t.ctx);
      const bodiesBefore = await sealedMessageBodies(t.ctx);
      expect(bodiesBefore).toHaveLength(6);
      const oldKey = currentMasterKey();
      const newKey = randomBytes(32);
      const live = (r: { kind: string; destroyed_at: number | null }) =>
        (r.kind === 'account' || r.kind === 'installation') && r.destroyed_at === null;

      const result = await rotateMasterKey(t.ctx, { newMasterKey: newKey });

      // Two live accounts and the two installation keys (operator email index, visitor token signing).
      expect(result).toEqual({ rewrapped: 4, oldKeyId: masterKeyId(oldKey), newKeyId: masterKeyId(newKey) });
      expect(keyringBefore.filter(live)).toHaveLength(4);
      const keyringAfter = await keyringRows(t.ctx);
      expect(keyringAfter.map((r) => r.id)).toEqual(keyringBefore.map((r) => r.id));
      for (const [i, after] of keyringAfter.entries()) {
        const before = keyringBefore[i];
        if (before && live(before)) {
          expect(after.wrapped_by).toBe(masterKeyId(newKey));
          expect(after.wrapped_key?.equals(before.wrapped_key ?? Buffer.alloc(0))).toBe(false);
          expect({ ...after, wrapped_by: null, wrapped_key: null }).toEqual({
            ...before,
            wrapped_by: null,
            wrapped_key: null,
          });
        } else {
          expect(after, `${after.kind} ${after.subject_id}`).toEqual(before);
        }
      }
      expect(await sealedMessageBodies(t.ctx)).toEqual(bodiesBefore);
      expect(await getMeta(t.ctx.database.db, 'master_key_id')).toBe(masterKeyId(newKey));
      const audit = await t.ctx.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'keys.rotated')
        .execute();
      expect(audit).toMatchObject([
        { target_ids: JSON.stringify([masterKeyId(oldKey), masterKeyId(newKey)]), count: 4 },
      ]);

      // The rotating process carries on with the new key; a new process with the new key reads all.
      expect(t.ctx.keyring.masterKeyId).toBe(masterKeyId(newKey));
      const fresh = await reopen({ PLAUDER_MASTER_KEY: newKey.toString('base64') });
      for (const ctx of [t.ctx, fresh]) {
        expect(await readAccount(ctx, a)).toEqual(expectedRead(a));
        expect(await readAccount(ctx, b)).toEqual(expectedRead(b));
      }
      await expect(readAccount(fresh, gone)).rejects.toThrow(KeyDestroyedError);
    });

    it('refuses to start with the old key after a rotation, naming both key ids and changing nothing', async () => {
      const a = await seedAccount(t.ctx, 'a');
      const oldKey = currentMasterKey();
      const newKey = randomBytes(32);
      await rotateMasterKey(t.ctx, { newMasterKey: newKey });
      const keyringBefore = await keyringRows(t.ctx);
      const metaBefore = await metaRows(t.ctx);

      // SQLite: master.key still holds the old key; PostgreSQL: the test config carries it.
      const error: unknown = await reopen().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MasterKeyMismatchError);
      expect(error).toMatchObject({ configuredKeyId: masterKeyId(oldKey), expectedKeyId: masterKeyId(newKey) });
      expect((error as Error).message).toContain(masterKeyId(oldKey));
      expect((error as Error).message).toContain(masterKeyId(newKey));

      expect(await keyringRows(t.ctx)).toEqual(keyringBefore);
      expect(await metaRows(t.ctx)).toEqual(metaBefore);
      expect(await readAccount(t.ctx, a)).toEqual(expectedRead(a));
    });

    it('refuses to start with a key that was never in use, changing nothing', async () => {
      await seedAccount(t.ctx, 'a');
      const keyringBefore = await keyringRows(t.ctx);
      const metaBefore = await metaRows(t.ctx);
      await expect(reopen({ PLAUDER_MASTER_KEY: randomBytes(32).toString('base64') })).rejects.toThrow(
        MasterKeyMismatchError,
      );
      expect(await keyringRows(t.ctx)).toEqual(keyringBefore);
      expect(await metaRows(t.ctx)).toEqual(metaBefore);
    });
  });

  // Only the embedded mode keeps the master key in a file that a rotation can leave half-promoted.
  describe.runIf(testDialect === 'sqlite')('interrupted rotation in the embedded mode', () => {
    const keyFile = () => path.join(t.dataDir, MASTER_KEY_FILE);
    const nextFile = () => path.join(t.dataDir, NEXT_MASTER_KEY_FILE);

    it('promotes master.key.next at the next start when the keyring was already rewrapped under it', async () => {
      const a = await seedAccount(t.ctx, 'a');
      const oldKey = currentMasterKey();
      const newKey = randomBytes(32);
      writeNextMasterKey(t.dataDir, newKey);
      await rotateMasterKey(t.ctx, { newMasterKey: newKey });
      // The crash: the keyring committed, the key file was never renamed.
      expect(currentMasterKey().equals(oldKey)).toBe(true);

      const restarted = await reopen();

      expect(restarted.keyring.masterKeyId).toBe(masterKeyId(newKey));
      expect(existsSync(nextFile())).toBe(false);
      expect(Buffer.from(readFileSync(keyFile(), 'utf8').trim(), 'base64').equals(newKey)).toBe(true);
      expect(await readAccount(restarted, a)).toEqual(expectedRead(a));
      expect(await getMeta(restarted.database.db, 'master_key_id')).toBe(masterKeyId(newKey));
      // And the start after that is an ordinary one.
      expect((await reopen()).keyring.masterKeyId).toBe(masterKeyId(newKey));
    });

    it('discards a master.key.next whose rotation never committed and keeps the current key', async () => {
      const a = await seedAccount(t.ctx, 'a');
      const oldKey = currentMasterKey();
      const keyringBefore = await keyringRows(t.ctx);
      writeNextMasterKey(t.dataDir, randomBytes(32));

      const restarted = await reopen();

      expect(restarted.keyring.masterKeyId).toBe(masterKeyId(oldKey));
      expect(existsSync(nextFile())).toBe(false);
      expect(currentMasterKey().equals(oldKey)).toBe(true);
      expect(await keyringRows(t.ctx)).toEqual(keyringBefore);
      expect(await readAccount(restarted, a)).toEqual(expectedRead(a));
    });
  });
});
