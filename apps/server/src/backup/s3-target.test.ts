import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_PART_BYTES, s3FailureKind, S3Target, type S3TargetOptions } from './s3-target.js';
import {
  BackupTargetError,
  BackupTargetFullError,
  BackupTargetUnreachableError,
  InvalidBackupNameError,
  type BackupTarget,
} from './targets.js';
import { standInCredentials, startS3StandIn, type S3StandIn } from '../test-support/s3-stand-in.js';

async function* chunked(data: Buffer, chunkBytes = 256 * 1024): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += chunkBytes) yield data.subarray(offset, offset + chunkBytes);
}

async function readAll(target: BackupTarget, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of target.read(name)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A TCP port of 127.0.0.1 that was free a moment ago and that nothing listens on now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

describe('S3Target', () => {
  const bucket = 'plauder-backups';
  let standIn: S3StandIn;
  let options: S3TargetOptions;
  const targets: S3Target[] = [];
  /** A target on the stand-in with `changes` to the working options. */
  const open = (changes: Partial<S3TargetOptions> = {}) => {
    const target = new S3Target({ ...options, ...changes });
    targets.push(target);
    return target;
  };

  beforeAll(async () => {
    standIn = await startS3StandIn();
    standIn.createBucket(bucket);
    options = {
      endpoint: standIn.endpoint,
      region: 'eu-central-1',
      bucket,
      ...standInCredentials,
      forcePathStyle: true,
      prefix: '',
    };
  });
  afterAll(async () => {
    await Promise.all(targets.map((target) => target.close()));
    await standIn.close();
  });

  it('keeps each name as one object under the prefix, and lists it without the prefix', async () => {
    const target = open({ prefix: 'eu/plauder/' });
    await target.write('keyrings/k1.plbk', chunked(Buffer.from('keys')));
    expect(standIn.keys(bucket)).toContain('eu/plauder/keyrings/k1.plbk');
    expect((await target.list('')).map((object) => object.name)).toEqual(['keyrings/k1.plbk']);
  });

  it('sends a large object in parts of 8 MiB, seen only once complete', async () => {
    const target = open({ prefix: 'multipart/' });
    const data = randomBytes(2 * FIRST_PART_BYTES + 1000);
    let midway: { uploads: number; listed: number } | undefined;
    async function* source() {
      yield* chunked(data.subarray(0, FIRST_PART_BYTES));
      // Asked for more only once the first part is stored.
      midway = { uploads: standIn.uploadsInProgress(bucket), listed: (await target.list('')).length };
      yield* chunked(data.subarray(FIRST_PART_BYTES));
    }
    await target.write('backups/b1/data.plbk', source());
    expect(midway).toEqual({ uploads: 1, listed: 0 });
    expect(standIn.uploadsInProgress(bucket)).toBe(0);
    expect((await readAll(target, 'backups/b1/data.plbk')).equals(data)).toBe(true);
  });

  it('says the target is full when the service answers 507 XMinioStorageFull', async () => {
    const target = open({ prefix: 'full/' });
    standIn.refuseWrites({ status: 507, code: 'XMinioStorageFull' });
    try {
      const failure = target.write('backups/b1/data.plbk', chunked(Buffer.from('small')));
      await expect(failure).rejects.toThrow(BackupTargetFullError);
      await expect(failure).rejects.toHaveProperty('code', 'backup_target_full');
      await expect(failure).rejects.toThrow(
        `s3://${bucket}/full/ in eu-central-1 at ${standIn.endpoint} is full: cannot write "backups/b1/data.plbk": XMinioStorageFull`,
      );
    } finally {
      standIn.refuseWrites(undefined);
    }
    expect(await target.list('')).toEqual([]);
  });

  it('says the target is full when a bucket quota refuses a part, and aborts the upload', async () => {
    const target = open({ prefix: 'quota/' });
    // The first part is stored, the second refused.
    standIn.refuseWrites({ status: 400, code: 'XMinioAdminBucketQuotaExceeded', after: 1 });
    try {
      const failure = target.write('backups/b1/data.plbk', chunked(randomBytes(3 * FIRST_PART_BYTES)));
      await expect(failure).rejects.toThrow(BackupTargetFullError);
    } finally {
      standIn.refuseWrites(undefined);
    }
    expect(standIn.uploadsInProgress(bucket)).toBe(0);
    expect(await target.list('')).toEqual([]);
  });

  it('counts any answer 507 as full', async () => {
    const target = open({ prefix: 'full-507/' });
    standIn.refuseWrites({ status: 507, code: 'SomeOtherCode' });
    try {
      await expect(target.write('b', chunked(Buffer.from('x')))).rejects.toThrow(BackupTargetFullError);
    } finally {
      standIn.refuseWrites(undefined);
    }
  });

  it('says the target is unreachable, naming it, when nothing listens at the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const target = open({ endpoint });
    const attempts = [
      () => target.write('backups/b1/data.plbk', chunked(Buffer.from('x'))),
      () => target.list('backups/'),
      () => readAll(target, 'backups/b1/data.plbk'),
    ];
    for (const attempt of attempts) {
      const failure = attempt();
      await expect(failure).rejects.toThrow(BackupTargetUnreachableError);
      await expect(failure).rejects.toHaveProperty('code', 'backup_target_unreachable');
      await expect(failure).rejects.toThrow(`s3://${bucket}/ in eu-central-1 at ${endpoint} is unreachable`);
    }
  });

  it('names the bucket, but never the secret, when the secret is wrong', async () => {
    const secretAccessKey = 'wrong-secret-that-must-not-show';
    const failure = open({ secretAccessKey }).write('b', chunked(Buffer.from('x')));
    await expect(failure).rejects.toThrow(`s3://${bucket}/ in eu-central-1`);
    await expect(failure).rejects.toThrow('cannot write "b": SignatureDoesNotMatch');
    const error = await failure.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackupTargetError);
    expect(error).toHaveProperty('code', 'backup_target_failed');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(secretAccessKey);
    expect(String((error as Error).stack)).not.toContain(secretAccessKey);
  });

  it('says which bucket does not exist', async () => {
    const failure = open({ bucket: 'no-such-bucket' }).list('');
    await expect(failure).rejects.toThrow('s3://no-such-bucket/ in eu-central-1');
    await expect(failure).rejects.toThrow('cannot list the objects: NoSuchBucket');
  });

  it('describes itself without credentials of the endpoint URL', () => {
    const target = open({ endpoint: 'https://user:hunter2@s3.example.net:9000/path', prefix: 'eu/' });
    expect(target.describe()).toBe(`s3://${bucket}/eu/ in eu-central-1 at https://s3.example.net:9000`);
    expect(open({ endpoint: undefined }).describe()).toBe(`s3://${bucket}/ in eu-central-1`);
  });

  it('refuses a prefix that breaks the name rules or does not end with "/"', () => {
    for (const prefix of ['eu', '/eu/', '../', 'eu//']) {
      expect(() => new S3Target({ ...options, prefix }), prefix).toThrow(InvalidBackupNameError);
    }
  });
});

describe('s3FailureKind', () => {
  const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
  const answered = (name: string, status: number, message = 'refused') =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it.each([
    { what: 'a refused connection', error: withCode('ECONNREFUSED'), kind: 'unreachable' },
    { what: 'a name that does not resolve', error: withCode('ENOTFOUND'), kind: 'unreachable' },
    { what: 'a name server that does not answer', error: withCode('EAI_AGAIN'), kind: 'unreachable' },
    {
      what: 'a timeout of the HTTP handler',
      error: Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      kind: 'unreachable',
    },
    {
      what: 'every address of a name refusing',
      error: new AggregateError([withCode('ECONNREFUSED')], 'all failed'),
      kind: 'unreachable',
    },
    { what: 'MinIO with a full disk', error: answered('XMinioStorageFull', 507), kind: 'full' },
    { what: 'MinIO over a bucket quota', error: answered('XMinioAdminBucketQuotaExceeded', 400), kind: 'full' },
    { what: 'a service over its quota', error: answered('QuotaExceeded', 403), kind: 'full' },
    {
      what: 'a disk full below the service',
      error: answered('InternalError', 500, 'cause(no space left on device)'),
      kind: 'full',
    },
    { what: 'a missing bucket', error: answered('NoSuchBucket', 404), kind: 'other' },
    { what: 'refused credentials', error: answered('AccessDenied', 403), kind: 'other' },
    { what: 'a service error', error: answered('InternalError', 500), kind: 'other' },
    { what: 'something that is no Error', error: 'a string', kind: 'other' },
  ])('takes $what as $kind', ({ error, kind }) => {
    expect(s3FailureKind(error)).toBe(kind);
  });
});
