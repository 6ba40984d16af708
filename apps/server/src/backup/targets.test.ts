import { describe, expect, it } from 'vitest';
import {
  assertValidBackupName,
  assertValidBackupPrefix,
  BackupTargetError,
  BackupTargetFullError,
  BackupTargetUnreachableError,
  MAX_NAME_LENGTH,
  targetFailure,
} from './targets.js';

describe('backup names', () => {
  it.each([
    'backups/2026-12-01T03-00-00Z-ab12cd/data.plbk',
    'keyrings/2026-12-01T03-00-00Z-ab12cd.plbk',
    'a',
    'A_b/c-d/e.f',
  ])('accepts %s', (name) => {
    expect(() => assertValidBackupName(name)).not.toThrow();
  });

  it.each([
    ['', 'it is empty'],
    ['/backups/x', 'it starts with "/"'],
    ['backups//x', 'it has an empty segment'],
    ['backups/x/', 'it has an empty segment'],
    ['../x', 'it has a "." or ".." segment'],
    ['backups/./x', 'it has a "." or ".." segment'],
    ['backups/.x.tmp', 'each segment starting with a letter or digit'],
    ['backups/ä', 'use only letters, digits'],
    ['backups\\x', 'use only letters, digits'],
    ['a'.repeat(MAX_NAME_LENGTH + 1), `longer than ${MAX_NAME_LENGTH} characters`],
  ])('refuses %j, saying why', (name, reason) => {
    expect(() => assertValidBackupName(name)).toThrow(reason);
    expect(() => assertValidBackupName(name)).toThrow('Invalid backup name');
  });

  it('takes "", a name, or a name and "/" as a prefix', () => {
    for (const prefix of ['', 'backups/', 'backups/2026-12', 'keyrings']) {
      expect(() => assertValidBackupPrefix(prefix), prefix).not.toThrow();
    }
    for (const prefix of ['/', '../', 'backups//', '.tmp']) {
      expect(() => assertValidBackupPrefix(prefix), prefix).toThrow('Invalid backup name');
    }
  });
});

describe('targetFailure', () => {
  const cause = Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
  const details = { target: 'directory /var/backups', action: 'write', objectName: 'backups/b1/data.plbk', cause };

  it('makes a BackupTargetFullError of a full target, naming the target, the object and the cause', () => {
    const error = targetFailure('full', details);
    expect(error).toBeInstanceOf(BackupTargetFullError);
    expect(error).toBeInstanceOf(BackupTargetError);
    expect(error.code).toBe('backup_target_full');
    expect(error.target).toBe('directory /var/backups');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      'directory /var/backups is full: cannot write "backups/b1/data.plbk": ENOSPC: no space left on device, write',
    );
  });

  it('makes a BackupTargetUnreachableError of an unreachable one, and a BackupTargetError of the rest', () => {
    const unreachable = targetFailure('unreachable', details);
    expect(unreachable).toBeInstanceOf(BackupTargetUnreachableError);
    expect(unreachable.code).toBe('backup_target_unreachable');
    expect(unreachable.message).toMatch(/^directory \/var\/backups is unreachable: cannot write/);
    const other = targetFailure('other', { ...details, objectName: '', action: 'list the objects', note: 'and more' });
    expect(other.constructor).toBe(BackupTargetError);
    expect(other.code).toBe('backup_target_failed');
    expect(other.message).toBe(
      'directory /var/backups: cannot list the objects: ENOSPC: no space left on device, write; and more',
    );
  });
});
