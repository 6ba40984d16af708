import { S3Client } from '@aws-sdk/client-s3';

/** Where and as whom an S3 client connects; the S3 parts of the Config have this shape and more. */
export interface S3ClientOptions {
  /** An http(s) URL of an S3-compatible service; absent: AWS S3 in `region`. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Name the bucket in the path (`endpoint/bucket/key`) instead of the host name, as MinIO and most self-hosted services want. */
  readonly forcePathStyle: boolean;
  /** Give up on a connection not made within this many milliseconds; absent: the system's TCP timeout (minutes). */
  readonly connectionTimeoutMs?: number;
}

/**
 * An S3 client that talks to the configured endpoint and region only. The one place that makes S3
 * clients, so the file store and the backup target cannot drift apart in how they are pinned.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    // Personal data goes only where the configuration says (promise P1): AWS_ENDPOINT_URL*, AWS_*
    // endpoint variants, defaults modes (whose "auto" asks the instance metadata service) and
    // ~/.aws/config must not move it, so each is pinned here.
    ignoreConfiguredEndpointUrls: true,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    defaultsMode: 'legacy',
    // Many S3-compatible services refuse the SDK's default CRC32 checksum headers, so checksums are
    // sent only where S3 demands them (DeleteObjects). Sealed content carries its own AES-GCM tag.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler:
      options.connectionTimeoutMs === undefined ? undefined : { connectionTimeout: options.connectionTimeoutMs },
  });
}
