import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in S3 service for tests: path-style requests, signature V4 checked, objects in memory. It
// covers only what S3FileStore uses: CreateBucket, PutObject, GetObject, DeleteObject, ListObjectsV2
// (paginated) and DeleteObjects. s3rver 3.7.1 cannot serve: its continuation tokens use DES, which
// the OpenSSL 3 of Node 20 no longer offers, and it does not check signatures.

/** The only credentials the stand-in accepts. */
export const standInCredentials = Object.freeze({
  accessKeyId: 'plauder-test-key',
  secretAccessKey: 'plauder-test-secret-0123456789abcdef',
});

/** A running stand-in S3 service on 127.0.0.1. */
export interface S3StandIn {
  /** Its http:// URL with the port it got. */
  readonly endpoint: string;
  createBucket(bucket: string): void;
  /** Every object key in `bucket`, sorted. */
  keys(bucket: string): string[];
  close(): Promise<void>;
}

/** The most keys one ListObjectsV2 page or one DeleteObjects request holds, as on S3. */
const PAGE_SIZE = 1000;

type Buckets = Map<string, Map<string, Buffer>>;

/** Starts a stand-in S3 service on a free port of 127.0.0.1. */
export async function startS3StandIn(): Promise<S3StandIn> {
  const buckets: Buckets = new Map();
  const server = createServer((req, res) => {
    handle(buckets, req, res).catch((error: unknown) => {
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
    createBucket: (bucket) => void buckets.set(bucket, buckets.get(bucket) ?? new Map<string, Buffer>()),
    keys: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(buckets: Buckets, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    buckets.set(bucketName, buckets.get(bucketName) ?? new Map<string, Buffer>());
    return reply(res, 200, '');
  }
  const bucket = buckets.get(bucketName);
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
  if (key !== '' && method === 'PUT') {
    bucket.set(key, body);
    return reply(res, 200, '', { etag: `"${createHash('md5').update(body).digest('hex')}"` });
  }
  if (key !== '' && method === 'GET') {
    const object = bucket.get(key);
    if (object === undefined) return reply(res, 404, errorXml('NoSuchKey', 'The specified key does not exist.'));
    return reply(res, 200, object, { 'content-type': 'application/octet-stream' });
  }
  if (key !== '' && method === 'DELETE') {
    bucket.delete(key);
    return reply(res, 204, '');
  }
  reply(res, 501, errorXml('NotImplemented', `The stand-in does not serve ${method} ${rawPath}?${rawQuery}`));
}

function list(bucket: Map<string, Buffer>, query: URLSearchParams): string {
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
        .map((key) => `<Contents><Key>${escapeXml(key)}</Key><Size>${bucket.get(key)?.length ?? 0}</Size></Contents>`)
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
