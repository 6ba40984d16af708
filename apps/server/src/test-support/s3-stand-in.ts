import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in S3 service for tests: path-style requests, signature V4 checked, objects in memory. It
// covers only what S3FileStore and the S3 backup target use: CreateBucket, PutObject, GetObject,
// DeleteObject, ListObjectsV2 (paginated), DeleteObjects, and multipart uploads (create, upload a
// part, complete, abort). s3rver 3.7.1 cannot serve: its continuation tokens use DES, which the
// OpenSSL 3 of Node 20 no longer offers, and it does not check signatures.

/** The only credentials the stand-in accepts. */
export const standInCredentials = Object.freeze({
  accessKeyId: 'plauder-test-key',
  secretAccessKey: 'plauder-test-secret-0123456789abcdef',
});

/** An error the stand-in answers requests that store bytes with, as a full or over-quota service does. */
export interface WriteRefusal {
  /** The HTTP status, such as 507. */
  readonly status: number;
  /** The S3 error code, such as XMinioStorageFull. */
  readonly code: string;
  /** How many requests that store bytes still succeed before the refusals begin; 0 by default. */
  readonly after?: number;
}

/** A running stand-in S3 service on 127.0.0.1. */
export interface S3StandIn {
  /** Its http:// URL with the port it got. */
  readonly endpoint: string;
  createBucket(bucket: string): void;
  /** Every object key in `bucket`, sorted. */
  keys(bucket: string): string[];
  /** How many multipart uploads into `bucket` were begun and neither completed nor aborted. */
  uploadsInProgress(bucket: string): number;
  /** Refuses every PutObject and UploadPart from now on as `refusal` says; undefined stores again. */
  refuseWrites(refusal: WriteRefusal | undefined): void;
  close(): Promise<void>;
}

/** The most keys one ListObjectsV2 page or one DeleteObjects request holds, as on S3. */
const PAGE_SIZE = 1000;

/** The least size of each part of a multipart upload but the last, as on S3. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

interface StoredObject {
  body: Buffer;
  modifiedAt: Date;
}

interface Upload {
  bucket: string;
  key: string;
  parts: Map<number, Buffer>;
}

interface State {
  buckets: Map<string, Map<string, StoredObject>>;
  /** Multipart uploads in progress by upload id. */
  uploads: Map<string, Upload>;
  refusal: { status: number; code: string; after: number } | undefined;
}

/** Starts a stand-in S3 service on a free port of 127.0.0.1. */
export async function startS3StandIn(): Promise<S3StandIn> {
  const state: State = { buckets: new Map(), uploads: new Map(), refusal: undefined };
  const server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      reply(res, 500, errorXml('InternalError', String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(0, '127.0.0.1', resolve);
  });
  // Safe: a server listening on a TCP port reports an AddressInfo, not a pipe name.
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    createBucket: (bucket) =>
      void state.buckets.set(bucket, state.buckets.get(bucket) ?? new Map<string, StoredObject>()),
    keys: (bucket) => [...(state.buckets.get(bucket)?.keys() ?? [])].sort(),
    uploadsInProgress: (bucket) => [...state.uploads.values()].filter((upload) => upload.bucket === bucket).length,
    refuseWrites: (refusal) => {
      state.refusal = refusal && { status: refusal.status, code: refusal.code, after: refusal.after ?? 0 };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer); // Safe: no encoding set, so chunks are Buffers.
  const body = Buffer.concat(chunks);
  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
  const authProblem = signatureProblem(req, { rawPath, rawQuery, body });
  if (authProblem !== undefined) return reply(res, 403, errorXml(authProblem, 'The request is not signed right.'));

  const query = new URLSearchParams(rawQuery);
  const [bucketName = '', ...keyParts] = rawPath.slice(1).split('/').map(decodeURIComponent);
  const key = keyParts.join('/');
  const method = req.method ?? 'GET';
  if (key === '' && method === 'PUT') {
    state.buckets.set(bucketName, state.buckets.get(bucketName) ?? new Map<string, StoredObject>());
    return reply(res, 200, '');
  }
  const bucket = state.buckets.get(bucketName);
  if (bucket === undefined) return reply(res, 404, errorXml('NoSuchBucket', 'The specified bucket does not exist'));

  if (key === '' && method === 'GET' && query.get('list-type') === '2') return reply(res, 200, list(bucket, query));
  if (key === '' && method === 'POST' && query.has('delete')) {
    if (!req.headers['content-md5'] && !Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-'))) {
      return reply(res, 400, errorXml('InvalidRequest', 'Missing required header for this request: Content-MD5'));
    }
    const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) =>
      unescapeXml(match[1] ?? ''),
    );
    if (keys.length > PAGE_SIZE) return reply(res, 400, errorXml('MalformedXML', `More than ${PAGE_SIZE} keys`));
    for (const deleted of keys) bucket.delete(deleted);
    const quiet = body.includes('<Quiet>true</Quiet>');
    const deletedXml = keys.map((deleted) => `<Deleted><Key>${escapeXml(deleted)}</Key></Deleted>`);
    return reply(res, 200, xml('DeleteResult', quiet ? '' : deletedXml.join('')));
  }
  if (key !== '' && (query.has('uploads') || query.has('uploadId'))) {
    return multipart(state, { bucketName, bucket, key, method, query, body }, res);
  }
  if (key !== '' && method === 'PUT') {
    if (refused(state, res)) return;
    bucket.set(key, { body, modifiedAt: new Date() });
    return reply(res, 200, '', { etag: etagOf(body) });
  }
  if (key !== '' && method === 'GET') {
    const object = bucket.get(key);
    if (object === undefined) return reply(res, 404, errorXml('NoSuchKey', 'The specified key does not exist.'));
    return reply(res, 200, object.body, { 'content-type': 'application/octet-stream' });
  }
  if (key !== '' && method === 'DELETE') {
    bucket.delete(key);
    return reply(res, 204, '');
  }
  reply(res, 501, errorXml('NotImplemented', `The stand-in does not serve ${method} ${rawPath}?${rawQuery}`));
}

/** Answers with the refusal set by refuseWrites, when one is due, and says whether it did. */
function refused(state: State, res: ServerResponse): boolean {
  const { refusal } = state;
  if (refusal === undefined) return false;
  if (refusal.after > 0) {
    refusal.after -= 1;
    return false;
  }
  reply(res, refusal.status, errorXml(refusal.code, 'The stand-in was told to refuse writes.'));
  return true;
}

/** CreateMultipartUpload, UploadPart, CompleteMultipartUpload and AbortMultipartUpload. */
function multipart(
  state: State,
  request: {
    bucketName: string;
    bucket: Map<string, StoredObject>;
    key: string;
    method: string;
    query: URLSearchParams;
    body: Buffer;
  },
  res: ServerResponse,
): void {
  const { bucketName, bucket, key, method, query, body } = request;
  if (method === 'POST' && query.has('uploads')) {
    const uploadId = randomBytes(12).toString('hex');
    state.uploads.set(uploadId, { bucket: bucketName, key, parts: new Map() });
    const inner = `<Bucket>${escapeXml(bucketName)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId>`;
    return reply(res, 200, xml('InitiateMultipartUploadResult', inner));
  }
  const uploadId = query.get('uploadId') ?? '';
  const upload = state.uploads.get(uploadId);
  if (upload === undefined || upload.bucket !== bucketName || upload.key !== key) {
    return reply(res, 404, errorXml('NoSuchUpload', 'The specified multipart upload does not exist.'));
  }
  if (method === 'PUT') {
    const partNumber = Number(query.get('partNumber'));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      return reply(res, 400, errorXml('InvalidArgument', 'Part number must be an integer from 1 to 10000.'));
    }
    if (refused(state, res)) return;
    upload.parts.set(partNumber, body);
    return reply(res, 200, '', { etag: etagOf(body) });
  }
  if (method === 'DELETE') {
    state.uploads.delete(uploadId);
    return reply(res, 204, '');
  }
  if (method === 'POST') {
    const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((match) => ({
      partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(match[1] ?? '')?.[1]),
      etag: unescapeXml(/<ETag>([^<]*)<\/ETag>/.exec(match[1] ?? '')?.[1] ?? ''),
    }));
    if (listed.length === 0) return reply(res, 400, errorXml('MalformedXML', 'No parts are listed.'));
    const bodies: Buffer[] = [];
    for (const [index, { partNumber, etag }] of listed.entries()) {
      if (index > 0 && partNumber <= (listed[index - 1]?.partNumber ?? 0)) {
        return reply(res, 400, errorXml('InvalidPartOrder', 'The parts are not in ascending order.'));
      }
      const part = upload.parts.get(partNumber);
      if (part === undefined || etagOf(part) !== etag) {
        return reply(res, 400, errorXml('InvalidPart', `Part ${partNumber} was not uploaded or its ETag differs.`));
      }
      if (index < listed.length - 1 && part.length < MIN_PART_BYTES) {
        return reply(res, 400, errorXml('EntityTooSmall', `Part ${partNumber} is smaller than 5 MiB.`));
      }
      bodies.push(part);
    }
    const object = Buffer.concat(bodies);
    bucket.set(key, { body: object, modifiedAt: new Date() });
    state.uploads.delete(uploadId);
    const inner = `<Bucket>${escapeXml(bucketName)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(etagOf(object))}</ETag>`;
    return reply(res, 200, xml('CompleteMultipartUploadResult', inner));
  }
  reply(res, 501, errorXml('NotImplemented', `The stand-in does not serve ${method} of a multipart upload`));
}

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function list(bucket: Map<string, StoredObject>, query: URLSearchParams): string {
  const prefix = query.get('prefix') ?? '';
  const token = query.get('continuation-token');
  const after = token === null ? '' : Buffer.from(token, 'base64').toString('utf8');
  const maxKeys = Math.min(Number(query.get('max-keys') ?? PAGE_SIZE), PAGE_SIZE);
  const matching = [...bucket.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
  const page = matching.slice(0, maxKeys);
  const truncated = matching.length > page.length;
  const last = page.at(-1);
  return xml(
    'ListBucketResult',
    `<Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>` +
      (truncated && last !== undefined
        ? `<NextContinuationToken>${Buffer.from(last).toString('base64')}</NextContinuationToken>`
        : '') +
      page
        .map((key) => {
          const object = bucket.get(key);
          const modified = `<LastModified>${(object?.modifiedAt ?? new Date(0)).toISOString()}</LastModified>`;
          return `<Contents><Key>${escapeXml(key)}</Key>${modified}<Size>${object?.body.length ?? 0}</Size></Contents>`;
        })
        .join(''),
  );
}

/** The S3 error code for a request whose AWS signature V4 does not check out, or undefined. */
function signatureProblem(
  req: IncomingMessage,
  request: { rawPath: string; rawQuery: string; body: Buffer },
): string | undefined {
  const authorization = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=(\w+)$/.exec(
    req.headers.authorization ?? '',
  );
  if (authorization === null) return 'AccessDenied';
  const [, accessKeyId = '', scope = '', signedHeaders = '', signature = ''] = authorization;
  if (accessKeyId !== standInCredentials.accessKeyId) return 'InvalidAccessKeyId';
  const payloadHash = header(req, 'x-amz-content-sha256');
  if (payloadHash !== sha256(request.body)) return 'XAmzContentSHA256Mismatch';
  const canonicalRequest = [
    req.method,
    request.rawPath,
    canonicalQuery(request.rawQuery),
    signedHeaders
      .split(';')
      .map((name) => `${name}:${header(req, name).trim().replace(/\s+/g, ' ')}\n`)
      .join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', header(req, 'x-amz-date'), scope, sha256(canonicalRequest)].join('\n');
  let signingKey: Buffer = Buffer.from(`AWS4${standInCredentials.secretAccessKey}`);
  for (const part of scope.split('/')) signingKey = hmac(signingKey, part);
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'SignatureDoesNotMatch';
}

function canonicalQuery(rawQuery: string): string {
  const encode = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [name = '', value = ''] = pair.split('=', 2).map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
      return `${encode(name)}=${encode(value)}`;
    })
    .sort()
    .join('&');
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

function reply(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function xml(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
