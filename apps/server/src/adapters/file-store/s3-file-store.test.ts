import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidFileKeyError } from './file-store.js';
import { S3FileStore, type S3FileStoreOptions } from './s3-file-store.js';
import { standInCredentials, startS3StandIn, type S3StandIn } from '../../test-support/s3-stand-in.js';

describe('S3FileStore', () => {
  const bucket = 'plauder-s3-test';
  let standIn: S3StandIn;
  let options: S3FileStoreOptions;
  const stores: S3FileStore[] = [];
  /** A store on the stand-in with `changes` to the working options. */
  const open = (changes: Partial<S3FileStoreOptions> = {}) => {
    const store = new S3FileStore({ ...options, ...changes });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    standIn = await startS3StandIn();
    standIn.createBucket(bucket);
    options = {
      endpoint: standIn.endpoint,
      region: 'us-east-1',
      bucket,
      ...standInCredentials,
      forcePathStyle: true,
      keyPrefix: '',
    };
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await standIn.close();
  });

  it('stores each key as one object under the key prefix', async () => {
    await open({ keyPrefix: 'eu/chat/' }).put('accounts/a1/attachments/x', Buffer.from('x'));
    await open().put('accounts/a1/attachments/y', Buffer.from('y'));
    expect(standIn.keys(bucket)).toEqual(['accounts/a1/attachments/y', 'eu/chat/accounts/a1/attachments/x']);
  });

  it('names the bucket and the key, but never the secret, when the secret is wrong', async () => {
    const secretAccessKey = 'wrong-secret-that-must-not-show';
    const failure = open({ secretAccessKey }).put('accounts/a1/x', Buffer.from('x'));
    await expect(failure).rejects.toThrow(`S3 bucket "${bucket}": cannot store "accounts/a1/x": SignatureDoesNotMatch`);
    const error = await failure.catch((caught: unknown) => caught);
    expect(error).toHaveProperty('name', 'FileStoreError');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(secretAccessKey);
    expect(String((error as Error).stack)).not.toContain(secretAccessKey);
  });

  it('says which bucket does not exist', async () => {
    const failure = open({ bucket: 'no-such-bucket' }).get('accounts/a1/x');
    await expect(failure).rejects.toThrow('S3 bucket "no-such-bucket": cannot read "accounts/a1/x": NoSuchBucket');
  });

  it('names the prefix and the count so far when deleting under a prefix fails', async () => {
    const failure = open({ bucket: 'no-such-bucket', keyPrefix: 'eu/' }).deletePrefix('accounts/a1/');
    await expect(failure).rejects.toThrow(
      'S3 bucket "no-such-bucket": cannot delete (after 0 objects) everything under "eu/accounts/a1/"',
    );
  });

  it('refuses a key prefix that breaks the key rules', () => {
    for (const keyPrefix of ['eu', '/eu/', '../', 'EU/']) {
      expect(() => new S3FileStore({ ...options, keyPrefix }), keyPrefix).toThrow(InvalidFileKeyError);
    }
  });
});
