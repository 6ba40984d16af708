import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSystemFailureKind, LocalDirectoryTarget } from './local-directory-target.js';
import { BackupTargetError } from './targets.js';

async function* once(data: string): AsyncGenerator<Buffer> {
  yield Buffer.from(data);
}

describe('LocalDirectoryTarget', () => {
  let base: string;
  let root: string;
  let target: LocalDirectoryTarget;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'plauder-local-target-'));
    root = path.join(base, 'var', 'backups');
    target = new LocalDirectoryTarget(root);
  });
  afterEach(async () => {
    await target.close();
    await rm(base, { recursive: true, force: true });
  });

  it('makes its folders 0700 and its files 0600 on the first write', async () => {
    await target.write('backups/b1/data.plbk', once('x'));
    for (const folder of [root, path.join(root, 'backups'), path.join(root, 'backups', 'b1')]) {
      expect((await stat(folder)).mode & 0o777, folder).toBe(0o700);
    }
    expect((await stat(path.join(root, 'backups', 'b1', 'data.plbk'))).mode & 0o777).toBe(0o600);
  });

  it('lists nothing, rather than fail, before its directory exists', async () => {
    expect(await target.list('')).toEqual([]);
    expect(await target.list('backups/')).toEqual([]);
  });

  it('lists neither temporary files nor files no target could have written', async () => {
    await target.write('backups/b1/data.plbk', once('x'));
    await writeFile(path.join(root, 'backups', 'b1', '.0123abcd.tmp'), 'left by a crash');
    await writeFile(path.join(root, 'backups', 'notes about this.txt'), 'put there by hand');
    expect((await target.list('')).map((object) => object.name)).toEqual(['backups/b1/data.plbk']);
  });

  it('leaves no temporary file behind after a write', async () => {
    await target.write('backups/b1/data.plbk', once('x'));
    expect(await readdir(path.join(root, 'backups', 'b1'))).toEqual(['data.plbk']);
  });

  it('describes itself by its absolute directory', () => {
    expect(new LocalDirectoryTarget('relative/backups').describe()).toBe(
      `directory ${path.resolve('relative/backups')}`,
    );
  });

  it('names the directory and the name when a write fails, and leaves nothing', async () => {
    await target.write('backups/b1', once('a file where a folder is needed'));
    const failure = target.write('backups/b1/data.plbk', once('x'));
    await expect(failure).rejects.toThrow(`directory ${root}: cannot write "backups/b1/data.plbk": EEXIST`);
    await expect(failure).rejects.toBeInstanceOf(BackupTargetError);
    await expect(failure).rejects.toHaveProperty('code', 'backup_target_failed');
    expect((await target.list('')).map((object) => object.name)).toEqual(['backups/b1']);
  });
});

describe('fileSystemFailureKind', () => {
  const withCode = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

  it.each([
    { code: 'ENOSPC', kind: 'full' },
    { code: 'EDQUOT', kind: 'full' },
    { code: 'ESTALE', kind: 'unreachable' },
    { code: 'ENOTCONN', kind: 'unreachable' },
    { code: 'ETIMEDOUT', kind: 'unreachable' },
    { code: 'EHOSTDOWN', kind: 'unreachable' },
    { code: 'EACCES', kind: 'other' },
    { code: 'EIO', kind: 'other' },
  ])('takes $code as $kind', ({ code, kind }) => {
    expect(fileSystemFailureKind(withCode(code))).toBe(kind);
  });

  it('takes an error without a code as other', () => {
    expect(fileSystemFailureKind(new Error('no code'))).toBe('other');
    expect(fileSystemFailureKind('not even an Error')).toBe('other');
  });
});
