import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createFileStore } from './create-file-store.js';
import { LocalFileStore } from './local-file-store.js';
import { S3FileStore } from './s3-file-store.js';
import { standInCredentials, startS3StandIn, type S3StandIn } from '../../test-support/s3-stand-in.js';

describe('createFileStore', () => {
  let dataDir: string;
  let standIn: S3StandIn;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'plauder-create-file-store-'));
    standIn = await startS3StandIn();
  });
  afterAll(async () => {
    await standIn.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps files in DATA_DIR/files when S3_BUCKET is not set', async () => {
    const store = await createFileStore(loadConfig({ DATA_DIR: dataDir }));
    await store.put('accounts/a1/x', Buffer.from('x'));
    await store.close();
    expect(store).toBeInstanceOf(LocalFileStore);
    expect(existsSync(path.join(dataDir, 'files', 'accounts', 'a1', 'x'))).toBe(true);
  });

  it('keeps files in the S3 bucket, under the key prefix, when S3_BUCKET is set', async () => {
    standIn.createBucket('plauder-files');
    const config = loadConfig({
      DATA_DIR: dataDir,
      S3_ENDPOINT: standIn.endpoint,
      S3_BUCKET: 'plauder-files',
      S3_ACCESS_KEY_ID: standInCredentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: standInCredentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: 'eu',
    });
    const store = await createFileStore(config);
    await store.put('accounts/a1/y', Buffer.from('y'));
    await store.close();
    expect(store).toBeInstanceOf(S3FileStore);
    expect(standIn.keys('plauder-files')).toEqual(['eu/accounts/a1/y']);
    expect(existsSync(path.join(dataDir, 'files', 'accounts', 'a1', 'y'))).toBe(false);
  });
});
