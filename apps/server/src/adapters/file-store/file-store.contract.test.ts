import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidFileKeyError, MAX_KEY_LENGTH, type FileStore } from './file-store.js';
import { LocalFileStore } from './local-file-store.js';
import { S3FileStore } from './s3-file-store.js';
import { standInCredentials, startS3StandIn } from '../../test-support/s3-stand-in.js';

/** One kind of file store, set up on real storage for the contract. */
interface Subject {
  /** A new, empty store; stores of different names do not see each other's keys. */
  open(name: string): FileStore;
  /** Every name held by the storage underneath, across all stores opened: to see what really is there. */
  stored(): Promise<string[]>;
  tearDown(): Promise<void>;
}

/** Puts `count` keys `${prefix}<n>` with small contents, some at a time. */
async function putMany(store: FileStore, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, n) => `${prefix}${n}`);
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.pop(); key !== undefined; key = queue.pop()) await store.put(key, Buffer.from(key));
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return keys;
}

/** The file store contract: every implementation passes the same cases. */
function fileStoreContract(kind: string, setUp: () => Promise<Subject>): void {
  describe(`${kind} keeps the file store contract`, () => {
    let subject: Subject;
    let store: FileStore;
    const opened: FileStore[] = [];
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
      store = open(`store-${opened.length}`);
    });

    it('returns every one of the 256 byte values unchanged', async () => {
      const data = Buffer.from(Array.from({ length: 512 }, (_, n) => n % 256));
      await store.put('accounts/a1/attachments/bytes', data);
      expect((await store.get('accounts/a1/attachments/bytes'))?.equals(data)).toBe(true);
    });

    it('returns 5 MB unchanged', async () => {
      const data = randomBytes(5 * 1024 * 1024);
      await store.put('accounts/a1/attachments/big', data);
      expect((await store.get('accounts/a1/attachments/big'))?.equals(data)).toBe(true);
    });

    it('stores an empty file as empty bytes, not as nothing', async () => {
      await store.put('accounts/a1/empty', Buffer.alloc(0));
      expect(await store.get('accounts/a1/empty')).toEqual(Buffer.alloc(0));
    });

    it('replaces the bytes when a key is put again', async () => {
      await store.put('accounts/a1/attachments/x', Buffer.from('first version, longer'));
      await store.put('accounts/a1/attachments/x', Buffer.from('second'));
      expect((await store.get('accounts/a1/attachments/x'))?.toString()).toBe('second');
    });

    it('gives undefined for a key that holds nothing', async () => {
      expect(await store.get('accounts/a1/attachments/never-put')).toBeUndefined();
      expect(await store.get('nowhere/at/all')).toBeUndefined();
    });

    it('forgets a deleted key and keeps its neighbours', async () => {
      await store.put('accounts/a1/attachments/x', Buffer.from('x'));
      await store.put('accounts/a1/attachments/y', Buffer.from('y'));
      await store.delete('accounts/a1/attachments/x');
      expect(await store.get('accounts/a1/attachments/x')).toBeUndefined();
      expect((await store.get('accounts/a1/attachments/y'))?.toString()).toBe('y');
    });

    it('deletes a key that holds nothing without complaint', async () => {
      await expect(store.delete('accounts/a1/attachments/never-put')).resolves.toBeUndefined();
      await expect(store.delete('nowhere/at/all')).resolves.toBeUndefined();
    });

    it('deletes exactly the objects under a prefix and says how many went', async () => {
      const kept = ['accounts/a2/attachments/x', 'accounts/a10/attachments/x', 'accounts/a1.txt', 'accounts/a1-b/x'];
      for (const key of kept) await store.put(key, Buffer.from(key));
      for (const key of ['accounts/a1/attachments/x', 'accounts/a1/attachments/y', 'accounts/a1/z']) {
        await store.put(key, Buffer.from(key));
      }
      expect(await store.deletePrefix('accounts/a1/')).toBe(3);
      expect(await store.get('accounts/a1/attachments/x')).toBeUndefined();
      expect(await store.get('accounts/a1/z')).toBeUndefined();
      for (const key of kept) expect((await store.get(key))?.toString()).toBe(key);
      expect(await store.deletePrefix('accounts/a1/')).toBe(0);
    });

    it('deletes more than 1,000 objects under a prefix, all of them', async () => {
      const keys = await putMany(store, 'accounts/a1/attachments/', 1100);
      await store.put('accounts/a2/attachments/0', Buffer.from('kept'));
      const before = await subject.stored();
      expect(await store.deletePrefix('accounts/a1/')).toBe(1100);
      for (const key of [keys[0], keys[999], keys[1000], keys[1099]]) expect(await store.get(key!)).toBeUndefined();
      expect((await store.get('accounts/a2/attachments/0'))?.toString()).toBe('kept');
      expect(before.length - (await subject.stored()).length).toBe(1100);
    });

    it('counts nothing under a prefix that holds nothing', async () => {
      expect(await store.deletePrefix('accounts/nobody/')).toBe(0);
    });

    it('refuses bad keys and prefixes before touching the storage', async () => {
      const before = await subject.stored();
      const badKeys = ['../x', 'a/../../x', '/x', 'a//b', 'a/', '', './x', '.hidden', 'Accounts/x', 'a b', 'a\\b'];
      badKeys.push('a'.repeat(MAX_KEY_LENGTH + 1), `a/${'b'.repeat(256)}`);
      const data = Buffer.from('must not land');
      for (const key of badKeys) {
        await expect(store.put(key, data), key).rejects.toThrow(InvalidFileKeyError);
        await expect(store.get(key), key).rejects.toThrow(InvalidFileKeyError);
        await expect(store.delete(key), key).rejects.toThrow(InvalidFileKeyError);
      }
      for (const prefix of ['accounts/a1', '', '/', '../', 'accounts//', '../accounts/']) {
        await expect(store.deletePrefix(prefix), prefix).rejects.toThrow(InvalidFileKeyError);
      }
      expect(await subject.stored()).toEqual(before);
    });

    it('accepts a key of the longest allowed length', async () => {
      const key = `${'a'.repeat(255)}/${'b'.repeat(MAX_KEY_LENGTH - 256)}`;
      await store.put(key, Buffer.from('long'));
      expect((await store.get(key))?.toString()).toBe('long');
    });

    it('keeps two stores apart that share the storage underneath', async () => {
      const first = open(`tenant-a-${opened.length}`);
      const second = open(`tenant-b-${opened.length}`);
      await first.put('accounts/a1/x', Buffer.from('first'));
      await second.put('accounts/a1/x', Buffer.from('second'));
      await second.put('accounts/a1/y', Buffer.from('second only'));
      expect((await first.get('accounts/a1/x'))?.toString()).toBe('first');
      expect(await first.get('accounts/a1/y')).toBeUndefined();
      expect(await first.deletePrefix('accounts/a1/')).toBe(1);
      expect((await second.get('accounts/a1/x'))?.toString()).toBe('second');
    });
  });
}

fileStoreContract('LocalFileStore', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'plauder-files-'));
  return {
    open: (name) => new LocalFileStore({ directory: path.join(base, name) }),
    stored: async () =>
      (await readdir(base, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(base, path.join(entry.parentPath, entry.name)))
        .sort(),
    tearDown: () => rm(base, { recursive: true, force: true }),
  };
});

fileStoreContract('S3FileStore', async () => {
  const standIn = await startS3StandIn();
  const bucket = 'plauder-contract';
  standIn.createBucket(bucket);
  return {
    open: (name) =>
      new S3FileStore({
        endpoint: standIn.endpoint,
        region: 'us-east-1',
        bucket,
        ...standInCredentials,
        forcePathStyle: true,
        keyPrefix: `${name}/`,
      }),
    stored: async () => standIn.keys(bucket),
    tearDown: () => standIn.close(),
  };
});
