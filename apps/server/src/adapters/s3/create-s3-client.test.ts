import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, type S3ClientOptions } from './create-s3-client.js';
import { standInCredentials } from '../../test-support/s3-stand-in.js';

/** The host a request of a client made with `options` would go to; nothing is sent. */
async function hostReached(options: Omit<S3ClientOptions, 'accessKeyId' | 'secretAccessKey'>): Promise<string> {
  const client = createS3Client({ ...options, ...standInCredentials });
  let host = '';
  client.middlewareStack.add(
    () => (args) => {
      // Safe: by the finalize step the request is an HttpRequest with its endpoint resolved.
      const { hostname, port } = args.request as { hostname: string; port?: number };
      host = port === undefined ? hostname : `${hostname}:${port}`;
      throw new Error('stopped before sending');
    },
    { step: 'finalizeRequest', name: 'stopBeforeSending' },
  );
  try {
    await client.send(new ListObjectsV2Command({ Bucket: 'plauder' })).catch((error: unknown) => {
      if (!(error instanceof Error && error.message === 'stopped before sending')) throw error;
    });
  } finally {
    client.destroy();
  }
  return host;
}

describe('createS3Client', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // What an environment might say; none of it may move the data elsewhere (P1).
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.9:9000';
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.9:9000';
    process.env.AWS_USE_FIPS_ENDPOINT = 'true';
    process.env.AWS_USE_DUALSTACK_ENDPOINT = 'true';
  });
  afterAll(() => {
    process.env = saved;
  });

  it('talks to the configured endpoint, whatever the AWS variables say', async () => {
    const host = await hostReached({ endpoint: 'http://127.0.0.1:9001', region: 'eu-central-1', forcePathStyle: true });
    expect(host).toBe('127.0.0.1:9001');
  });

  it('talks to AWS S3 in the configured region, neither elsewhere nor over a FIPS or dual-stack endpoint', async () => {
    const host = await hostReached({ endpoint: undefined, region: 'eu-central-1', forcePathStyle: true });
    expect(host).toBe('s3.eu-central-1.amazonaws.com');
  });
});
