import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../s3/create-s3-client.js';
import { assertValidKey, assertValidPrefix, FileStoreError, type FileStore } from './file-store.js';

/** Options of an S3FileStore; the `s3` part of the Config has this shape. */
export interface S3FileStoreOptions {
  /** An http(s) URL of an S3-compatible service; absent: AWS S3 in `region`. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Name the bucket in the path (`endpoint/bucket/key`) instead of the host name, as MinIO and most self-hosted services want. */
  readonly forcePathStyle: boolean;
  /** "" or a key followed by "/", put before every key so that several installations can share one bucket. */
  readonly keyPrefix: string;
}

/** The production file store: one object per key in a bucket of S3 or an S3-compatible service. */
export class S3FileStore implements FileStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;

  constructor(options: S3FileStoreOptions) {
    if (options.keyPrefix !== '') assertValidPrefix(options.keyPrefix);
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix;
    this.client = createS3Client(options);
  }

  async put(key: string, data: Buffer): Promise<void> {
    assertValidKey(key);
    const objectKey = this.keyPrefix + key;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: data }));
    } catch (cause) {
      throw this.failure('store', objectKey, cause);
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    const objectKey = this.keyPrefix + key;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      if (object.Body === undefined) return Buffer.alloc(0);
      const bytes = await object.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (cause) {
      if (isNoSuchKey(cause)) return undefined;
      throw this.failure('read', objectKey, cause);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const objectKey = this.keyPrefix + key;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (cause) {
      // S3 answers 204 for a missing key; some compatible services answer NoSuchKey.
      if (isNoSuchKey(cause)) return;
      throw this.failure('delete', objectKey, cause);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const objectPrefix = this.keyPrefix + prefix;
    let count = 0;
    let continuationToken: string | undefined;
    try {
      do {
        // A page holds at most 1,000 keys, which is also the most one DeleteObjects takes. The
        // continuation token names the last key listed, so deleting a page does not disturb the next.
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectPrefix, ContinuationToken: continuationToken }),
        );
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
        if (keys.length > 0) {
          const result = await this.client.send(
            new DeleteObjectsCommand({
              Bucket: this.bucket,
              // Quiet: the answer lists only the failures, so the count is the keys sent less those.
              Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
            }),
          );
          const errors = result.Errors ?? [];
          count += keys.length - errors.length;
          const [first] = errors;
          if (first !== undefined) {
            throw new Error(
              `${errors.length} of ${keys.length} objects were not deleted, the first "${first.Key}" (${first.Code}: ${first.Message})`,
            );
          }
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    } catch (cause) {
      throw this.failure(`delete (after ${count} objects) everything under`, objectPrefix, cause);
    }
    return count;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** A FileStoreError that names the bucket and the object key; the credentials are never part of one. */
  private failure(action: string, objectKey: string, cause: unknown): FileStoreError {
    return new FileStoreError(`S3 bucket "${this.bucket}": cannot ${action} "${objectKey}"`, { cause });
  }
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && error.name === 'NoSuchKey';
}
