import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFileStore } from './local-file-store.js';

describe('LocalFileStore', () => {
  let base: string;
  let root: string;
  let store: LocalFileStore;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'plauder-local-files-'));
    root = path.join(base, 'data', 'files');
    store = new LocalFileStore({ directory: root });
  });
  afterEach(async () => {
    await store.close();
    await rm(base, { recursive: true, force: true });
  });

  /** The permission bits of a file or folder, such as 0o600. */
  const modeOf = async (at: string) => (await stat(at)).mode & 0o777;

  it('writes files readable by the plauder user only, in folders of its own', async () => {
    await store.put('accounts/a1/attachments/x', Buffer.from('sealed bytes'));
    expect(await modeOf(path.join(root, 'accounts', 'a1', 'attachments', 'x'))).toBe(0o600);
    for (const folder of ['', 'accounts', 'accounts/a1', 'accounts/a1/attachments']) {
      expect(await modeOf(path.join(root, folder))).toBe(0o700);
    }
  });

  it('keeps one file per key and leaves no temporary file after puts', async () => {
    await store.put('accounts/a1/attachments/x', Buffer.from('one'));
    await store.put('accounts/a1/attachments/x', Buffer.from('two'));
    await Promise.all(
      Array.from({ length: 20 }, (_, n) => store.put(`accounts/a1/attachments/${n % 4}`, Buffer.from(`${n}`))),
    );
    expect((await readdir(path.join(root, 'accounts', 'a1', 'attachments'))).sort()).toEqual(['0', '1', '2', '3', 'x']);
  });

  it('removes leftover temporary files with their prefix without counting them', async () => {
    await store.put('accounts/a1/attachments/x', Buffer.from('x'));
    // What a put interrupted by a crash leaves: a temporary file beside the keys.
    await writeFile(path.join(root, 'accounts', 'a1', 'attachments', '.0123456789abcdef.tmp'), 'half');
    expect(await store.deletePrefix('accounts/a1/')).toBe(1);
    expect(await readdir(path.join(root, 'accounts'))).toEqual([]);
  });

  it('treats a key whose folder is a file, or which is a folder, as holding nothing', async () => {
    await store.put('accounts/a1', Buffer.from('a file where a folder could be'));
    expect(await store.get('accounts/a1/x')).toBeUndefined();
    await expect(store.delete('accounts/a1/x')).resolves.toBeUndefined();
    expect(await store.deletePrefix('accounts/a1/')).toBe(0);
    expect(await store.deletePrefix('accounts/a1/x/')).toBe(0);
    expect((await store.get('accounts/a1'))?.toString()).toBe('a file where a folder could be');
    await store.put('accounts/a2/x', Buffer.from('x'));
    expect(await store.get('accounts/a2')).toBeUndefined();
  });

  it('names the key and the directory when a put fails', async () => {
    await store.put('accounts/a1', Buffer.from('a file where a folder is needed'));
    const failure = store.put('accounts/a1/x', Buffer.from('x'));
    await expect(failure).rejects.toThrow(`Cannot store "accounts/a1/x" in ${root}: EEXIST`);
    await expect(failure).rejects.toHaveProperty('name', 'FileStoreError');
  });
});
