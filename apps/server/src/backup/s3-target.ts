import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describeCause } from '../adapters/file-store/file-store.js';
import type { BackupS3Config } from '../config/config.js';
import { createS3Client } from '../adapters/s3/create-s3-client.js';
import {
  assertValidBackupName,
  assertValidBackupPrefix,
  BackupNotFoundError,
  type BackupTargetError,
  InvalidBackupNameError,
  isValidBackupName,
  SourceError,
  sourceChunks,
  targetFailure,
  type BackupObject,
  type BackupTarget,
  type FailureKind,
} from './targets.js';

/** Options of an S3Target: the backup bucket as configured (BACKUP_S3_*). */
export type S3TargetOptions = BackupS3Config;

/**
 * The size of the first 1,000 parts of a multipart upload. Each later thousand parts are twice the
 * size of the thousand before, so the 10,000 parts S3 allows reach about 8 TiB, while a backup of up
 * to 8 GiB holds about two parts' worth (16 MiB) in memory at most: the chunks of one part and the
 * part they are joined into. S3 wants at least 5 MiB in every part but the last.
 */
export const FIRST_PART_BYTES = 8 * 1024 * 1024;

/** The most parts one multipart upload may have on S3. */
const MAX_PARTS = 10_000;

/** How long a connection to the service may take to open; a backup fails fast rather than hang. */
const CONNECTION_TIMEOUT_MS = 10_000;

/** The size of part `partNumber` (from 1). */
function partBytes(partNumber: number): number {
  return FIRST_PART_BYTES * 2 ** Math.floor((partNumber - 1) / 1000);
}

/**
 * Backups in a bucket of S3 or an S3-compatible service, one object per name. An object smaller
 * than one part is stored with one PutObject; a larger one is a multipart upload, sent part by part
 * as the source yields it and aborted when anything fails. Either way S3 shows the object only once
 * it is complete.
 */
export class S3Target implements BackupTarget {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly description: string;

  constructor(options: S3TargetOptions) {
    if (options.prefix !== '' && !options.prefix.endsWith('/')) {
      throw new InvalidBackupNameError(options.prefix, 'the prefix of a target ends with "/", such as "plauder/"');
    }
    if (options.prefix !== '') assertValidBackupName(options.prefix.slice(0, -1));
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.client = createS3Client({ ...options, connectionTimeoutMs: CONNECTION_TIMEOUT_MS });
    // Only the origin of the endpoint: a URL may carry credentials, which never go into a message.
    const at = options.endpoint === undefined ? '' : ` at ${new URL(options.endpoint).origin}`;
    this.description = `s3://${options.bucket}/${options.prefix} in ${options.region}${at}`;
  }

  async list(prefix: string): Promise<BackupObject[]> {
    assertValidBackupPrefix(prefix);
    const objects: BackupObject[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: continuationToken,
          }),
        );
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(this.prefix.length);
          // Objects that other tools put under the prefix and that no valid name reaches are left alone.
          if (name === undefined || !isValidBackupName(name)) continue;
          objects.push({ name, sizeBytes: object.Size ?? 0, modifiedAt: object.LastModified?.getTime() ?? 0 });
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    } catch (cause) {
      throw prefix === ''
        ? this.failure('list the objects', '', cause)
        : this.failure('list the objects under', prefix, cause);
    }
    return objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async write(name: string, source: AsyncIterable<Buffer>): Promise<void> {
    assertValidBackupName(name);
    const key = this.prefix + name;
    let uploadId: string | undefined;
    try {
      const parts: CompletedPart[] = [];
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of sourceChunks(source)) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < partBytes(parts.length + 1)) continue;
        uploadId ??= await this.startUpload(key);
        const body = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        parts.push(await this.uploadPart({ key, uploadId, partNumber: parts.length + 1, body }));
      }
      const rest = Buffer.concat(pending, pendingBytes);
      if (uploadId === undefined) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: rest }));
        return;
      }
      if (rest.length > 0) {
        parts.push(await this.uploadPart({ key, uploadId, partNumber: parts.length + 1, body: rest }));
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (caught) {
      const leftOver = uploadId === undefined ? undefined : await this.abortUpload(key, uploadId);
      if (caught instanceof SourceError && leftOver === undefined) throw caught.error;
      const [kind, cause] =
        caught instanceof SourceError ? (['other', caught.error] as const) : [s3FailureKind(caught), caught];
      throw targetFailure(kind, { target: this.describe(), action: 'write', objectName: name, cause, note: leftOver });
    }
  }

  read(name: string): AsyncIterable<Buffer> {
    assertValidBackupName(name);
    return this.chunksOf(name);
  }

  async delete(name: string): Promise<void> {
    assertValidBackupName(name);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + name }));
    } catch (cause) {
      // S3 answers 204 for a missing key; some compatible services answer NoSuchKey.
      if (isNoSuchKey(cause)) return;
      throw this.failure('delete', name, cause);
    }
  }

  describe(): string {
    return this.description;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async *chunksOf(name: string): AsyncGenerator<Buffer> {
    let body: Readable;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + name }));
      if (object.Body === undefined) return;
      // In Node the SDK answers with an http.IncomingMessage; anything else would be read whole.
      if (!(object.Body instanceof Readable)) throw new TypeError('the S3 client did not answer with a Node stream');
      body = object.Body;
    } catch (cause) {
      if (isNoSuchKey(cause)) throw new BackupNotFoundError(this.describe(), name);
      throw this.failure('read', name, cause);
    }
    try {
      // Safe: a response stream without an encoding yields Buffers. Stopping early destroys the stream.
      for await (const chunk of body as AsyncIterable<Buffer>) yield chunk;
    } catch (cause) {
      throw this.failure('read', name, cause);
    }
  }

  private async startUpload(key: string): Promise<string> {
    const upload = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
    if (upload.UploadId === undefined) throw new Error('the service started a multipart upload without an id');
    return upload.UploadId;
  }

  private async uploadPart(part: { key: string; uploadId: string; partNumber: number; body: Buffer }) {
    const { key, uploadId, partNumber, body } = part;
    if (partNumber > MAX_PARTS) throw new Error(`the object is larger than ${MAX_PARTS} parts of S3 hold`);
    const answer = await this.client.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }),
    );
    return { PartNumber: partNumber, ETag: answer.ETag };
  }

  /** Aborts an unfinished upload: undefined when that worked, else what is left behind, in words. */
  private async abortUpload(key: string, uploadId: string): Promise<string | undefined> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
      return undefined;
    } catch (cause) {
      return `its unfinished upload ${uploadId} could not be aborted either (${describeCause(cause)}), so its parts take room until a lifecycle rule that aborts incomplete multipart uploads removes them`;
    }
  }

  private failure(action: string, name: string, cause: unknown): BackupTargetError {
    return targetFailure(s3FailureKind(cause), { target: this.describe(), action, objectName: name, cause });
  }
}

// Error codes of services that are out of room: MinIO's full disks and bucket quotas, Ceph's and
// other services' quotas, and the name of HTTP 507.
const FULL_CODES = new Set([
  'XMinioStorageFull',
  'XMinioAdminBucketQuotaExceeded',
  'QuotaExceeded',
  'InsufficientStorage',
]);

// What Node and the SDK's HTTP handler report when no answer came: refused, unresolved, cut, timed out.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** What an error of the S3 client means for a backup: the service is out of room, out of reach, or else. */
export function s3FailureKind(error: unknown): FailureKind {
  if (!(error instanceof Error)) return 'other';
  const status = '$metadata' in error ? statusOf(error.$metadata) : undefined;
  if (status === 507 || FULL_CODES.has(error.name)) return 'full';
  // MinIO has answered a full disk with 500 InternalError and the file system's words.
  if (status !== undefined && status >= 500 && /no space left on device/i.test(error.message)) return 'full';
  if (error.name === 'TimeoutError') return 'unreachable';
  // Connecting to a name with several addresses fails with an AggregateError of each attempt.
  const errors = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  return [error, ...errors].some((each) => UNREACHABLE_CODES.has(codeOf(each) ?? '')) ? 'unreachable' : 'other';
}

function statusOf(metadata: unknown): number | undefined {
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function codeOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && error.name === 'NoSuchKey';
}
