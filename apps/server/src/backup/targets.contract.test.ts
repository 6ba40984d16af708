import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalDirectoryTarget } from './local-directory-target.js';
import { S3Target } from './s3-target.js';
import { BackupNotFoundError, InvalidBackupNameError, type BackupTarget } from './targets.js';
import { standInCredentials, startS3StandIn } from '../test-support/s3-stand-in.js';

/** One kind of backup target, set up on real storage for the contract. */
interface Subject {
  /** A new, empty target; targets of different names do not see each other's objects. */
  open(name: string): BackupTarget;
  /** Everything the storage underneath holds, across all targets: objects, temporary files, unfinished uploads. */
  underneath(): Promise<string[]>;
  tearDown(): Promise<void>;
}

/** Yields `data` in chunks of `chunkBytes`. */
async function* chunked(data: Buffer, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += chunkBytes) yield data.subarray(offset, offset + chunkBytes);
}

async function readAll(target: BackupTarget, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of target.read(name)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The backup target contract: every implementation passes the same cases. */
function backupTargetContract(kind: string, setUp: () => Promise<Subject>): void {
  describe(`${kind} keeps the backup target contract`, () => {
    let subject: Subject;
    let target: BackupTarget;
    const opened: BackupTarget[] = [];
    const open = (name: string) => {
      const opening = subject.open(name);
      opened.push(opening);
      return opening;
    };

    beforeAll(async () => {
      subject = await setUp();
    });
    afterAll(async () => {
      await Promise.all(opened.map((each) => each.close()));
      await subject?.tearDown();
    });
    beforeEach(() => {
      target = open(`target-${opened.length}`);
    });

    it('returns every one of the 256 byte values unchanged', async () => {
      const data = Buffer.from(Array.from({ length: 512 }, (_, n) => n % 256));
      await target.write('backups/b1/data.plbk', chunked(data, 100));
      expect((await readAll(target, 'backups/b1/data.plbk')).equals(data)).toBe(true);
    });

    it('returns 20 MiB, written and read in chunks, unchanged', async () => {
      const data = randomBytes(20 * 1024 * 1024);
      await target.write('backups/2026-12-01T03-00-00Z-ab12cd/data.plbk', chunked(data));
      const chunks: Buffer[] = [];
      for await (const chunk of target.read('backups/2026-12-01T03-00-00Z-ab12cd/data.plbk')) chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      // Streamed: no chunk holds the whole object.
      expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(data.length / 2);
    });

    it('stores an empty source as an empty object', async () => {
      await target.write('keyrings/k1.plbk', chunked(Buffer.alloc(0)));
      expect(await readAll(target, 'keyrings/k1.plbk')).toEqual(Buffer.alloc(0));
      expect(await target.list('keyrings/')).toMatchObject([{ name: 'keyrings/k1.plbk', sizeBytes: 0 }]);
    });

    it('replaces the bytes when a name is written again', async () => {
      await target.write('backups/b1/data.plbk', chunked(Buffer.from('first version, longer')));
      await target.write('backups/b1/data.plbk', chunked(Buffer.from('second')));
      expect((await readAll(target, 'backups/b1/data.plbk')).toString()).toBe('second');
    });

    it('lists names, sizes and times of writing under a prefix, sorted by name', async () => {
      const before = Date.now();
      await target.write('backups/2026-12-02/data.plbk', chunked(Buffer.from('two')));
      await target.write('backups/2026-12-01/data.plbk', chunked(Buffer.from('one!')));
      await target.write('backups/2026-11-30/data.plbk', chunked(Buffer.from('november')));
      await target.write('keyrings/2026-12-01.plbk', chunked(Buffer.from('keys')));
      const after = Date.now();
      const listed = await target.list('backups/2026-12');
      expect(listed.map(({ name, sizeBytes }) => ({ name, sizeBytes }))).toEqual([
        { name: 'backups/2026-12-01/data.plbk', sizeBytes: 4 },
        { name: 'backups/2026-12-02/data.plbk', sizeBytes: 3 },
      ]);
      for (const { modifiedAt } of listed) {
        // S3 keeps times to the second; a file system may round as well.
        expect(modifiedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(modifiedAt).toBeLessThanOrEqual(after + 1000);
      }
      expect((await target.list('')).map((object) => object.name)).toEqual([
        'backups/2026-11-30/data.plbk',
        'backups/2026-12-01/data.plbk',
        'backups/2026-12-02/data.plbk',
        'keyrings/2026-12-01.plbk',
      ]);
      expect(await target.list('nothing/')).toEqual([]);
    });

    it('says BackupNotFoundError when reading a name that holds nothing', async () => {
      await target.write('backups/b1/data.plbk', chunked(Buffer.from('x')));
      for (const name of ['backups/b2/data.plbk', 'backups/b1', 'nowhere']) {
        const failure = readAll(target, name);
        await expect(failure, name).rejects.toThrow(BackupNotFoundError);
        await expect(failure, name).rejects.toHaveProperty('code', 'backup_not_found');
        await expect(failure, name).rejects.toThrow(`${target.describe()} holds nothing named "${name}"`);
      }
    });

    it('forgets a deleted name, keeps its neighbours, and deletes a missing name without complaint', async () => {
      await target.write('backups/b1/data.plbk', chunked(Buffer.from('1')));
      await target.write('backups/b2/data.plbk', chunked(Buffer.from('2')));
      await target.delete('backups/b1/data.plbk');
      await expect(readAll(target, 'backups/b1/data.plbk')).rejects.toThrow(BackupNotFoundError);
      expect((await readAll(target, 'backups/b2/data.plbk')).toString()).toBe('2');
      await expect(target.delete('backups/b1/data.plbk')).resolves.toBeUndefined();
      await expect(target.delete('never/written')).resolves.toBeUndefined();
    });

    it('shows nothing of an object until its write is complete', async () => {
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let paused = () => {};
      const pausedMidway = new Promise<void>((resolve) => (paused = resolve));
      async function* slowSource() {
        // More than one part of an S3 multipart upload, then a pause.
        yield randomBytes(9 * 1024 * 1024);
        paused();
        await released;
        yield Buffer.from('the end');
      }
      const writing = target.write('backups/b1/data.plbk', slowSource());
      // The source is asked for more only once its first chunk is stored: a part on S3, a temporary file here.
      await pausedMidway;
      expect(await target.list('')).toEqual([]);
      await expect(readAll(target, 'backups/b1/data.plbk')).rejects.toThrow(BackupNotFoundError);
      release();
      await writing;
      expect(await target.list('')).toMatchObject([{ name: 'backups/b1/data.plbk', sizeBytes: 9 * 1024 * 1024 + 7 }]);
    });

    it("passes on a failing source's own error and leaves nothing of the write, not even a part", async () => {
      await target.write('backups/b1/data.plbk', chunked(Buffer.from('the old version')));
      const before = await subject.underneath();
      const sourceFailure = new Error('the snapshot could not be read');
      async function* failingSource() {
        yield randomBytes(10 * 1024 * 1024);
        throw sourceFailure;
      }
      await expect(target.write('backups/b1/data.plbk', failingSource())).rejects.toBe(sourceFailure);
      await expect(target.write('backups/b2/data.plbk', failingSource())).rejects.toBe(sourceFailure);
      expect(await subject.underneath()).toEqual(before);
      expect((await readAll(target, 'backups/b1/data.plbk')).toString()).toBe('the old version');
    });

    it('lets a reader stop early', async () => {
      await target.write('backups/b1/data.plbk', chunked(randomBytes(5 * 1024 * 1024)));
      for await (const chunk of target.read('backups/b1/data.plbk')) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      await target.delete('backups/b1/data.plbk');
      expect(await target.list('')).toEqual([]);
    });

    it('refuses bad names and prefixes before touching the storage', async () => {
      const before = await subject.underneath();
      const badNames = ['../x', 'a/../../x', '/x', 'a//b', 'a/', '', './x', '.hidden', 'a b', 'a\\b', 'a/.tmp'];
      badNames.push('a'.repeat(501), `a/${'b'.repeat(256)}`);
      for (const name of badNames) {
        await expect(target.write(name, chunked(Buffer.from('must not land'))), name).rejects.toThrow(
          InvalidBackupNameError,
        );
        expect(() => target.read(name), name).toThrow(InvalidBackupNameError);
        await expect(target.delete(name), name).rejects.toThrow(InvalidBackupNameError);
      }
      for (const prefix of ['/', '../', 'backups//', '../backups/', '.x']) {
        await expect(target.list(prefix), prefix).rejects.toThrow(InvalidBackupNameError);
      }
      expect(await subject.underneath()).toEqual(before);
    });

    it('keeps two targets apart that share the storage underneath', async () => {
      const first = open(`apart-a-${opened.length}`);
      const second = open(`apart-b-${opened.length}`);
      await first.write('backups/b1/data.plbk', chunked(Buffer.from('first')));
      await second.write('backups/b1/data.plbk', chunked(Buffer.from('second')));
      await second.write('backups/b2/data.plbk', chunked(Buffer.from('second only')));
      expect((await first.list('')).map((object) => object.name)).toEqual(['backups/b1/data.plbk']);
      expect((await readAll(first, 'backups/b1/data.plbk')).toString()).toBe('first');
      expect(first.describe()).not.toBe(second.describe());
    });
  });
}

backupTargetContract('LocalDirectoryTarget', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'plauder-backup-targets-'));
  return {
    open: (name) => new LocalDirectoryTarget(path.join(base, name)),
    underneath: async () =>
      (await readdir(base, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(base, path.join(entry.parentPath, entry.name)))
        .sort(),
    tearDown: () => rm(base, { recursive: true, force: true }),
  };
});

backupTargetContract('S3Target', async () => {
  const standIn = await startS3StandIn();
  const bucket = 'plauder-backup-contract';
  standIn.createBucket(bucket);
  return {
    open: (name) =>
      new S3Target({
        endpoint: standIn.endpoint,
        region: 'us-east-1',
        bucket,
        ...standInCredentials,
        forcePathStyle: true,
        prefix: `${name}/`,
      }),
    underneath: async () => [
      ...standIn.keys(bucket),
      ...Array.from({ length: standIn.uploadsInProgress(bucket) }, () => '(an unfinished multipart upload)'),
    ],
    tearDown: () => standIn.close(),
  };
});
