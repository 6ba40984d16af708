import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { allConversationIds } from '../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { listBackups, verifyBackup } from './backups.js';
import { LocalDirectoryTarget } from './local-directory-target.js';
import { BackupNotFoundError, BackupTargetFullError } from './targets.js';
import { backupAndVerify } from './verify-while-writing.js';

/** Mounts a RAM file system of `size` at a new directory, when this process may (root on Linux). */
function mountSmallDisk(size: string): string | undefined {
  const at = mkdtempSync(path.join(tmpdir(), 'plauder-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', at], { stdio: 'ignore' });
    return at;
  } catch {
    rmSync(at, { recursive: true, force: true });
    return undefined;
  }
}

const probe = mountSmallDisk('64k');
if (probe) {
  execFileSync('umount', [probe]);
  rmSync(probe, { recursive: true });
}

describe(`a backup proved as it is written (${testDialect})`, () => {
  let t: TestContext;
  let dir: string;
  let scratchParent: string;
  const tmpBefore = process.env.TMPDIR;
  beforeEach(async () => {
    t = await createTestContext();
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-backups-'));
    // The verification's scratch database goes here (its thread reads TMPDIR as it starts): what it
    // leaves behind is seen.
    scratchParent = mkdtempSync(path.join(tmpdir(), 'plauder-scratch-parent-'));
    process.env.TMPDIR = scratchParent;
  });
  afterEach(async () => {
    if (tmpBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpBefore;
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratchParent, { recursive: true, force: true });
    await t.cleanup();
  });

  /** Scratch databases left in the verification's temporary directory (tsx keeps a cache there too). */
  const scratchesLeft = () => readdirSync(scratchParent).filter((name) => name.startsWith('plauder-verify-'));

  const backUp = (target: LocalDirectoryTarget, extra: Partial<Parameters<typeof backupAndVerify>[0]> = {}) =>
    backupAndVerify({
      database: t.ctx.database,
      fileStore: t.ctx.fileStore,
      key: t.ctx.keyring.backupKey(),
      target,
      now: t.clock.now(),
      ...extra,
    });

  it('restores the backup as it is written, as a verification from the target does, and records it', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    await seedSceneConversation(t.ctx, { account: acme, file: true, contactName: 'Ada', messages: 40 });
    await seedSceneConversation(t.ctx, { account: acme, messages: 3 });
    const target = new LocalDirectoryTarget(dir);
    const events: string[] = [];
    const restored: number[] = [];
    try {
      const { info, verification } = await backUp(target, {
        written: () => events.push('written'),
        verifyProgress: (rows) => restored.push(rows),
      });
      events.push('verified');
      expect(events).toEqual(['written', 'verified']);
      expect(verification).toMatchObject({ id: info.id, ok: true, problems: [], keyringId: info.id, erasedSince: 0 });
      // The same rows a restore from the target brings back.
      const again = await verifyBackup({ target, backup: info, key: t.ctx.keyring.backupKey(), now: t.clock.now() });
      expect(again.ok).toBe(true);
      expect(verification.rows).toBe(again.rows);
      expect(verification.rows).toBeGreaterThan(Object.values(info.rows).reduce((sum, n) => sum + n, 0) / 2);
      expect(restored).toEqual([...restored].sort((a, b) => a - b));
      const [listed] = await listBackups(target);
      expect(listed?.verification).toMatchObject({ ok: true });
    } finally {
      await target.close();
    }
    expect(scratchesLeft()).toEqual([]);
  });

  it('fails the verification when the target gives back other bytes than were written to it, or none', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    await seedSceneConversation(t.ctx, { account: acme, messages: 5 });
    // A target that loses a bit of the data artifact once it holds it.
    class FlippingTarget extends LocalDirectoryTarget {
      override async *read(name: string): AsyncIterable<Buffer> {
        let first = true;
        for await (const chunk of super.read(name)) {
          if (first && name.endsWith('data.plbk')) {
            const changed = Buffer.from(chunk);
            changed[changed.length - 1] = (changed[changed.length - 1] as number) ^ 0x01;
            yield changed;
          } else yield chunk;
          first = false;
        }
      }
    }
    const target = new FlippingTarget(dir);
    try {
      const { verification } = await backUp(target);
      expect(verification.ok).toBe(false);
      expect(verification.problems).toEqual([
        `the data artifact read back from ${target.describe()} is not what was written to it`,
      ]);
      const [listed] = await listBackups(target);
      expect(listed?.verification).toMatchObject({ ok: false });
    } finally {
      await target.close();
    }

    // And one that cannot give it back at all.
    class LosingTarget extends LocalDirectoryTarget {
      override read(name: string): AsyncIterable<Buffer> {
        if (name.endsWith('data.plbk')) throw new BackupNotFoundError(this.describe(), name);
        return super.read(name);
      }
    }
    const losing = new LosingTarget(dir);
    try {
      const { verification } = await backUp(losing);
      expect(verification.ok).toBe(false);
      expect(verification.problems).toEqual([
        expect.stringMatching(/^the data artifact could not be read back from directory .*: .*data\.plbk/),
      ]);
    } finally {
      await losing.close();
    }
  });

  it.skipIf(!probe)('stops on a full disk with a clear error, leaving the database and no scratch behind', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    await seedSceneConversation(t.ctx, { account: acme, file: true, messages: 60 });
    const conversations = await allConversationIds(t.ctx.database.db);
    const disk = mountSmallDisk('1m') as string;
    try {
      // A disk with 8 KiB free: the keyring artifact fits, the data does not.
      const { bavail, bsize } = statfsSync(disk);
      writeFileSync(path.join(disk, 'filler'), Buffer.alloc(bavail * bsize - 8 * 1024));
      const target = new LocalDirectoryTarget(path.join(disk, 'backups'));
      try {
        const failure = backUp(target);
        await expect(failure).rejects.toBeInstanceOf(BackupTargetFullError);
        await expect(failure).rejects.toThrow(/full/);
        expect(await listBackups(target)).toEqual([]);
        expect(scratchesLeft()).toEqual([]);
        expect(await allConversationIds(t.ctx.database.db)).toEqual(conversations);

        // With room again, the same target takes the next backup.
        rmSync(path.join(disk, 'filler'));
        const { verification } = await backUp(target);
        expect(verification.ok).toBe(true);
      } finally {
        await target.close();
      }
    } finally {
      execFileSync('umount', [disk]);
      rmSync(disk, { recursive: true, force: true });
    }
  });
});
