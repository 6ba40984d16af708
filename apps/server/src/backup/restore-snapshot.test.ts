import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileStore } from '../adapters/file-store/create-file-store.js';
import { createContext, type Context } from '../context.js';
import { loadMasterKey } from '../crypto/master-key.js';
import { purgeAccount } from '../domain/accounts/purge-account.js';
import { terminateAccount } from '../domain/accounts/terminate-account.js';
import { eraseContact } from '../domain/contacts/erase-contact.js';
import { seedSceneAccount, seedSceneConversation, type SceneAccount } from '../domain/erasure/test-scene.js';
import { sweepRetention } from '../domain/retention/sweep-retention.js';
import { appliedMigrations, inReadSnapshot, openDatabase } from '../storage/database.js';
import { listMessages } from '../storage/messages-repository.js';
import { allConversationIds, allRollups } from '../test-support/table-snapshots.js';
import {
  createSchema,
  createTestContext,
  dropSchema,
  testConfig,
  testDialect,
  type TestContext,
} from '../test-support/test-context.js';
import { dataFrames, keyringFrames, type ArtifactHeader } from './export-snapshot.js';
import { restoreSnapshot, RestoreTargetNotEmptyError } from './restore-snapshot.js';

const DAY_MS = 24 * 60 * 60 * 1000;

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* replay(bytes: Buffer): AsyncIterable<Buffer> {
  // In uneven pieces, as a decrypting stream hands them on.
  for (let at = 0; at < bytes.length; at += 70_001) yield bytes.subarray(at, at + 70_001);
}

describe(`restoring a backup (${testDialect})`, () => {
  let t: TestContext;
  let restored: { ctx: Context; cleanup: () => Promise<void> } | undefined;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await restored?.cleanup();
    restored = undefined;
    await t.cleanup();
  });

  /** A backup of the test database as it is now: its two artifacts' plaintext. */
  async function backUp(kind: 'both' | 'keyring' = 'both') {
    const header = async (db: Parameters<Parameters<typeof inReadSnapshot>[1]>[0], kindOf: 'data' | 'keyring') =>
      ({
        format: 1 as const,
        kind: kindOf,
        id: 'test-backup',
        createdAt: t.clock.now(),
        dialect: t.ctx.database.dialect,
        migrations: (
          await db
            .selectFrom('kysely_migration' as never)
            .select('name' as never)
            .orderBy('name' as never)
            .execute()
        ).map((row) => (row as { name: string }).name),
      }) satisfies ArtifactHeader;
    return inReadSnapshot(t.ctx.database, async (db) => ({
      data:
        kind === 'both'
          ? await collect(dataFrames(db, { header: await header(db, 'data'), fileStore: t.ctx.fileStore }))
          : undefined,
      keyring: await collect(keyringFrames(db, { header: await header(db, 'keyring') })),
    }));
  }

  /** A new, empty database of the run's dialect with its file store, and a context on it once restored. */
  async function emptyTarget() {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-restore-'));
    const masterKey = loadMasterKey({
      configured: t.config.masterKey,
      embedded: t.config.embedded,
      dataDir: t.dataDir,
    }).key;
    const config = testConfig(dataDir, { PLAUDER_MASTER_KEY: masterKey.toString('base64') });
    const schema = testDialect === 'postgres' ? await createSchema() : undefined;
    const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir, ...(schema ? { schema } : {}) });
    const fileStore = await createFileStore(config);
    const cleanup = async () => {
      await database.close().catch(() => undefined);
      await fileStore.close();
      if (schema) await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    };
    const open = async () => {
      await database.close();
      const ctx = await createContext(config, { clock: t.clock, ...(schema ? { schema } : {}) });
      restored = {
        ctx,
        cleanup: async () => {
          await ctx.close();
          await cleanup();
        },
      };
      return ctx;
    };
    restored = { ctx: undefined as never, cleanup };
    return { database, fileStore, open };
  }

  const owner = (account: SceneAccount) => ({
    kind: 'operator' as const,
    accountId: account.accountId,
    operatorId: account.ownerId,
    role: 'owner' as const,
    sessionId: randomUUID(),
  });

  it('brings back everything but what was erased after the backup: a contact, a conversation past retention, a purged account', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    // Past retention by the time of the restore: started 13 months before the others.
    await seedSceneConversation(t.ctx, { account: acme, messages: 3, close: true });
    t.clock.advance(395 * DAY_MS);
    const ada = await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada', close: true });
    const kept = await seedSceneConversation(t.ctx, {
      account: acme,
      file: true,
      messages: 4,
      operatorId: acme.ownerId,
    });
    const doomed = await seedSceneAccount(t.ctx, 'Doomed');
    await seedSceneConversation(t.ctx, { account: doomed, file: true, contactName: 'Bea' });
    const backup = await backUp();
    const rollupsBefore = (await allRollups(t.ctx.database.db)).filter((row) => row.account_id === acme.accountId);

    // After the backup: Ada is erased, the retention sweep takes the old conversation, Doomed is purged.
    await eraseContact(t.ctx, { by: owner(acme), contactId: ada.contactId as string });
    await terminateAccount(t.ctx, { by: { kind: 'cli', accountId: doomed.accountId }, graceDays: 0 });
    t.clock.advance(DAY_MS);
    expect(await sweepRetention(t.ctx)).toMatchObject({ conversations: 1 });
    expect(await purgeAccount(t.ctx, { accountId: doomed.accountId })).toMatchObject({ purged: true });
    const newest = await backUp('keyring');

    const target = await emptyTarget();
    const report = await restoreSnapshot(target.database, {
      sources: { data: () => replay(backup.data as Buffer), keyring: () => replay(newest.keyring) },
      fileStore: target.fileStore,
      now: t.clock.now(),
    });
    expect(report.mismatches).toEqual([]);
    expect(report.leftOut.conversations).toMatchObject({ erased: 3 });
    expect(report.leftOut.accounts).toMatchObject({ erased: 1 });
    expect(report.files).toEqual({ written: 1, dropped: 2 });

    const ctx = await target.open();
    expect(await allConversationIds(ctx.database.db)).toEqual([kept.conversationId]);
    const contacts = await ctx.database.db.selectFrom('contacts').select('id').execute();
    expect(contacts).toEqual([]);
    expect(await ctx.database.db.selectFrom('accounts').select('id').execute()).toEqual([{ id: acme.accountId }]);
    for (const table of ['operators', 'widgets', 'visitors', 'audit_log', 'rollup_days', 'jobs'] as const) {
      const rows = await ctx.database.db
        .selectFrom(table)
        .select('account_id')
        .where('account_id', '=', doomed.accountId)
        .execute();
      expect(rows, table).toEqual([]);
    }
    // What was kept reads as it did: the messages open with the restored keys, the file is there.
    const messages = await listMessages(ctx.store, { accountId: acme.accountId, conversationId: kept.conversationId });
    expect(messages.map((m) => m.body)).toEqual(
      (await listMessages(t.ctx.store, { accountId: acme.accountId, conversationId: kept.conversationId })).map(
        (m) => m.body,
      ),
    );
    for (const file of kept.files) expect(await ctx.fileStore.get(file)).toEqual(await t.ctx.fileStore.get(file));
    // The search index, not in the backup, is rebuilt from the messages' tokens: search finds the same.
    const words = (db: typeof ctx.database.db) =>
      db
        .selectFrom('conversation_tokens')
        .select('token')
        .where('conversation_id', '=', kept.conversationId)
        .execute()
        .then((rows) => rows.map((row) => row.token.toString('hex')).sort());
    const indexed = await words(t.ctx.database.db);
    expect(indexed.length).toBeGreaterThan(3);
    expect(await words(ctx.database.db)).toEqual(indexed);
    for (const file of [...ada.files]) expect(await ctx.fileStore.get(file)).toBeUndefined();
    expect((await allRollups(ctx.database.db)).filter((row) => row.account_id === acme.accountId)).toEqual(
      rollupsBefore,
    );
    expect(await appliedMigrations(ctx.database)).toEqual(await appliedMigrations(t.ctx.database));
  });

  it('writes nothing into a database that holds data', async () => {
    await seedSceneAccount(t.ctx, 'Acme');
    const backup = await backUp();
    await expect(
      restoreSnapshot(t.ctx.database, {
        sources: { data: () => replay(backup.data as Buffer), keyring: () => replay(backup.keyring) },
        fileStore: t.ctx.fileStore,
        now: t.clock.now(),
      }),
    ).rejects.toBeInstanceOf(RestoreTargetNotEmptyError);
  });

  it('leaves the target as empty as it was when the backup ends early, its files too', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    for (let n = 0; n < 3; n++) await seedSceneConversation(t.ctx, { account: acme, file: true, messages: 5 });
    const backup = await backUp();
    const target = await emptyTarget();
    const data = backup.data as Buffer;
    await expect(
      restoreSnapshot(target.database, {
        sources: { data: () => replay(data.subarray(0, data.length - 20)), keyring: () => replay(backup.keyring) },
        fileStore: target.fileStore,
        now: t.clock.now(),
      }),
    ).rejects.toThrow(/ends inside a frame/);
    for (const table of ['accounts', 'conversations', 'messages', 'attachments', 'keyring'] as const) {
      expect(await target.database.db.selectFrom(table).select('id').execute(), table).toEqual([]);
    }
    const conversation = await seedSceneConversation(t.ctx, { account: acme, file: true });
    void conversation;
    // Its files, written before the end was found missing, are gone again.
    const files = (await t.ctx.database.db.selectFrom('attachments').select('storage_key').execute()).map(
      (row) => row.storage_key,
    );
    for (const key of files) expect(await target.fileStore.get(key)).toBeUndefined();
  });
});
