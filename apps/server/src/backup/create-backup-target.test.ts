import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createBackupTarget } from './create-backup-target.js';
import { LocalDirectoryTarget } from './local-directory-target.js';
import { S3Target } from './s3-target.js';
import { standInCredentials, startS3StandIn, type S3StandIn } from '../test-support/s3-stand-in.js';

async function* once(data: string): AsyncGenerator<Buffer> {
  yield Buffer.from(data);
}

describe('createBackupTarget', () => {
  let dataDir: string;
  let standIn: S3StandIn;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'plauder-create-backup-target-'));
    standIn = await startS3StandIn();
  });
  afterAll(async () => {
    await standIn.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps backups in DATA_DIR/backups when nothing else is set', async () => {
    const target = await createBackupTarget(loadConfig({ DATA_DIR: dataDir }));
    expect(target).toBeInstanceOf(LocalDirectoryTarget);
    expect(target.describe()).toBe(`directory ${path.join(dataDir, 'backups')}`);
  });

  it('keeps backups in BACKUP_DIR when it is set', async () => {
    const backupDir = path.join(dataDir, 'elsewhere');
    const target = await createBackupTarget(loadConfig({ DATA_DIR: dataDir, BACKUP_DIR: backupDir }));
    await target.write('keyrings/k1.plbk', once('keys'));
    expect((await target.list('')).map((object) => object.name)).toEqual(['keyrings/k1.plbk']);
    expect(target.describe()).toBe(`directory ${backupDir}`);
  });

  it('keeps backups in the bucket, under the prefix, when BACKUP_S3_BUCKET is set', async () => {
    standIn.createBucket('plauder-backups');
    const config = loadConfig({
      DATA_DIR: dataDir,
      DATA_REGION: 'eu-central',
      BACKUP_S3_ENDPOINT: standIn.endpoint,
      BACKUP_S3_REGION: 'eu-central-1',
      BACKUP_S3_BUCKET: 'plauder-backups',
      BACKUP_S3_ACCESS_KEY_ID: standInCredentials.accessKeyId,
      BACKUP_S3_SECRET_ACCESS_KEY: standInCredentials.secretAccessKey,
      BACKUP_S3_FORCE_PATH_STYLE: 'true',
      BACKUP_S3_PREFIX: 'eu',
    });
    const target = await createBackupTarget(config);
    await target.write('keyrings/k1.plbk', once('keys'));
    await target.close();
    expect(target).toBeInstanceOf(S3Target);
    expect(standIn.keys('plauder-backups')).toEqual(['eu/keyrings/k1.plbk']);
    expect(target.describe()).toBe(`s3://plauder-backups/eu/ in eu-central-1 at ${standIn.endpoint}`);
  });
});
