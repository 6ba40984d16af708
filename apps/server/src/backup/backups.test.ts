import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileStore } from '../adapters/file-store/create-file-store.js';
import { eraseContact } from '../domain/contacts/erase-contact.js';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { openDatabase } from '../storage/database.js';
import { standInCredentials, startS3StandIn } from '../test-support/s3-stand-in.js';
import { allConversationIds } from '../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { backupKey } from './artifact.js';
import { createBackup, findBackup, listBackups, restoreBackup, verifyBackup } from './backups.js';
import { BackupDamagedError, BackupKeyError, BackupTruncatedError } from './errors.js';
import { LocalDirectoryTarget } from './local-directory-target.js';
import { S3Target } from './s3-target.js';

describe(`backups on a local directory (${testDialect})`, () => {
  let t: TestContext;
  let dir: string;
  let target: LocalDirectoryTarget;
  beforeEach(async () => {
    t = await createTestContext();
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-backups-'));
    target = new LocalDirectoryTarget(dir);
  });
  afterEach(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
    await t.cleanup();
  });

  const key = () => t.ctx.keyring.backupKey();
  const backUp = () =>
    createBackup({ database: t.ctx.database, fileStore: t.ctx.fileStore, key: key(), target, now: t.clock.now() });

  /** Restores `id` into a new SQLite database; its conversations, or the error. */
  async function restoreInto(id: string, options: { key?: ReturnType<typeof key> } = {}) {
    const scratch = mkdtempSync(path.join(tmpdir(), 'plauder-restore-'));
    const database = openDatabase({ databaseUrl: undefined, dataDir: scratch });
    const fileStore = await createFileStore({ dataDir: scratch, s3: undefined });
    try {
      await restoreBackup({
        target,
        backup: await findBackup(target, id),
        key: options.key ?? key(),
        database,
        fileStore,
        now: t.clock.now(),
      });
      return await allConversationIds(database.db);
    } finally {
      await fileStore.close();
      await database.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  it('writes sealed artifacts and its info, proves them restorable, and lists them newest first', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    const chat = await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada' });
    const first = await backUp();
    t.clock.advance(60_000);
    const second = await backUp();
    // Two messages and the file's.
    expect(first.rows).toMatchObject({ accounts: 1, conversations: 1, messages: 3, attachments: 1 });
    expect(first.files).toMatchObject({ count: 1 });

    // Sealed: no marker of the chat is in the clear on the target.
    const stored = readFileSync(path.join(dir, 'backups', first.id, 'data.plbk'));
    for (const marker of chat.markers) expect(stored.includes(Buffer.from(marker))).toBe(false);
    expect(stored.includes(Buffer.from('Ada'))).toBe(false);

    const verified = await verifyBackup({ target, backup: second, key: key(), now: t.clock.now() });
    expect(verified).toMatchObject({ ok: true, problems: [], keyringId: second.id, erasedSince: 0 });
    const listed = await listBackups(target);
    expect(listed.map((backup) => backup.id)).toEqual([second.id, first.id]);
    expect(listed[0]?.verification).toMatchObject({ ok: true });
    expect(listed[1]?.verification).toBeUndefined();
    expect(await restoreInto(first.id)).toEqual([chat.conversationId]);
  });

  it('refuses a damaged, a truncated, another master key’s and a keyless backup, each with a clear error', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    await seedSceneConversation(t.ctx, { account: acme, messages: 50 });
    const backup = await backUp();
    const data = path.join(dir, 'backups', backup.id, 'data.plbk');
    const intact = readFileSync(data);

    const damaged = Buffer.from(intact);
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = (damaged[middle] as number) ^ 0x01;
    writeFileSync(data, damaged);
    await expect(restoreInto(backup.id)).rejects.toBeInstanceOf(BackupDamagedError);
    const failed = await verifyBackup({ target, backup, key: key(), now: t.clock.now() });
    expect(failed.ok).toBe(false);
    expect(failed.problems.join(' ')).toMatch(/is damaged/);

    writeFileSync(data, intact.subarray(0, intact.length - 10));
    await expect(restoreInto(backup.id)).rejects.toBeInstanceOf(BackupTruncatedError);

    writeFileSync(data, intact);
    await expect(restoreInto(backup.id, { key: backupKey(randomBytes(32)) })).rejects.toBeInstanceOf(BackupKeyError);

    rmSync(path.join(dir, 'keyrings'), { recursive: true });
    await expect(restoreInto(backup.id)).rejects.toThrow(/no keyring artifact/);
  });

  it('verifies an older backup with the newest keyring once its own is gone, counting what was erased since', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    const ada = await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada' });
    await seedSceneConversation(t.ctx, { account: acme, messages: 3 });
    const old = await backUp();
    await eraseContact(t.ctx, {
      by: { kind: 'operator', accountId: acme.accountId, operatorId: acme.ownerId, role: 'owner', sessionId: 's' },
      contactId: ada.contactId as string,
    });
    t.clock.advance(60_000);
    const newest = await backUp();
    rmSync(path.join(dir, 'keyrings', `${old.id}.plbk`));

    const verified = await verifyBackup({ target, backup: old, key: key(), now: t.clock.now() });
    expect(verified).toMatchObject({ ok: true, problems: [], keyringId: newest.id });
    // Ada's conversation with its three messages (two and the file's) and attachment, and Ada.
    expect(verified.erasedSince).toBeGreaterThanOrEqual(6);
  });

  it('keeps backups in an S3-compatible bucket: written in parts, proved, and restored from there', async () => {
    const standIn = await startS3StandIn();
    standIn.createBucket('backups');
    const bucket = new S3Target({
      endpoint: standIn.endpoint,
      region: 'eu-central-1',
      bucket: 'backups',
      ...standInCredentials,
      forcePathStyle: true,
      prefix: 'plauder/',
    });
    try {
      const acme = await seedSceneAccount(t.ctx, 'Acme');
      const chat = await seedSceneConversation(t.ctx, { account: acme, file: true, messages: 30 });
      const info = await createBackup({
        database: t.ctx.database,
        fileStore: t.ctx.fileStore,
        key: key(),
        target: bucket,
        now: t.clock.now(),
      });
      expect(standIn.keys('backups')).toEqual(
        expect.arrayContaining([
          `plauder/backups/${info.id}/data.plbk`,
          `plauder/backups/${info.id}/backup.json`,
          `plauder/keyrings/${info.id}.plbk`,
        ]),
      );
      expect(await verifyBackup({ target: bucket, backup: info, key: key(), now: t.clock.now() })).toMatchObject({
        ok: true,
      });
      const scratch = mkdtempSync(path.join(tmpdir(), 'plauder-restore-'));
      const database = openDatabase({ databaseUrl: undefined, dataDir: scratch });
      const fileStore = await createFileStore({ dataDir: scratch, s3: undefined });
      try {
        await restoreBackup({ target: bucket, backup: info, key: key(), database, fileStore, now: t.clock.now() });
        expect(await allConversationIds(database.db)).toEqual([chat.conversationId]);
      } finally {
        await fileStore.close();
        await database.close();
        rmSync(scratch, { recursive: true, force: true });
      }
    } finally {
      await bucket.close();
      await standIn.close();
    }
  });
});
