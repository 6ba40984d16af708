import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { TokenBuckets, type TokenBucketOptions } from '../realtime/token-bucket.js';

/** Files per client address: 20 at once, then one every 10 seconds. */
export const UPLOAD_LIMIT_PER_CLIENT: TokenBucketOptions = { capacity: 20, refillPerSecond: 0.1 };
/** Files per visitor: 10 at once, then one every 30 seconds. */
export const UPLOAD_LIMIT_PER_VISITOR: TokenBucketOptions = { capacity: 10, refillPerSecond: 1 / 30 };

/**
 * In-memory rate limits of the public endpoints (visitor sessions, visitor uploads, socket upgrades),
 * per node. A client is known only as an HMAC of its address under a random per-process salt: no IP
 * is kept.
 */
export class PublicLimits {
  private readonly salt = randomBytes(32);
  /** Undefined when the installation turned the limit off (VISITOR_SESSIONS_PER_MINUTE=0). */
  private readonly sessions: TokenBuckets | undefined;
  private readonly sessionLimit: TokenBucketOptions;
  /** Undefined when the installation turned the limit off (SOCKET_UPGRADES_PER_MINUTE=0). */
  private readonly upgrades: TokenBuckets | undefined;
  private readonly upgradeLimit: TokenBucketOptions;
  private readonly uploadsPerClient = new TokenBuckets(UPLOAD_LIMIT_PER_CLIENT, () => performance.now());
  private readonly uploadsPerVisitor = new TokenBuckets(UPLOAD_LIMIT_PER_VISITOR, () => performance.now());

  /**
   * Visitor sessions start when a visitor opens the chat: `visitorSessionsPerMinute` a minute, and as
   * many at once, leave room for an office behind one address, not for a script minting tokens.
   */
  constructor(options: { visitorSessionsPerMinute: number; socketUpgradesPerMinute: number }) {
    [this.sessionLimit, this.sessions] = perMinute(options.visitorSessionsPerMinute);
    // Sockets reconnect after every network change, so their budget is larger than the sessions'.
    [this.upgradeLimit, this.upgrades] = perMinute(options.socketUpgradesPerMinute);
  }

  /** Throws `rate_limited` when the request's client started too many visitor sessions. */
  takeVisitorSession(request: FastifyRequest): void {
    if (this.sessions && !this.sessions.take(this.clientKey(request.ip))) {
      throw limited('visitor sessions', this.sessionLimit);
    }
  }

  /** Throws `rate_limited` when the client or the visitor sent too many files. */
  takeUpload(request: FastifyRequest, visitorId: string): void {
    if (!this.uploadsPerClient.take(this.clientKey(request.ip))) throw limited('files', UPLOAD_LIMIT_PER_CLIENT);
    if (!this.uploadsPerVisitor.take(visitorId)) throw limited('files', UPLOAD_LIMIT_PER_VISITOR);
  }

  /** Throws `rate_limited` when the client at `address` asked for too many sockets. */
  takeSocketUpgrade(address: string): void {
    if (this.upgrades && !this.upgrades.take(this.clientKey(address))) throw limited('sockets', this.upgradeLimit);
  }

  private clientKey(address: string): string {
    return createHmac('sha256', this.salt).update(address).digest('base64url').slice(0, 22);
  }
}

/**
 * The client address of a raw request (a socket upgrade, which Fastify does not see), by the rules
 * Fastify applies to its requests: behind one of the `trustProxy` addresses, the forwarded address.
 */
export function clientAddressOf(request: IncomingMessage, trustProxy: readonly string[]): string {
  if (trustProxy.length === 0) return request.socket.remoteAddress ?? '';
  let trust = compiledTrust.get(trustProxy);
  if (!trust) {
    trust = proxyAddr.compile([...trustProxy]);
    compiledTrust.set(trustProxy, trust);
  }
  return proxyAddr(request, trust);
}

// Compiled once per list (the configuration's list is one frozen array).
const compiledTrust = new WeakMap<readonly string[], (address: string, index: number) => boolean>();

/** A limit of `count` a minute, and as many at once; no buckets when `count` is 0 (no limit). */
function perMinute(count: number): [TokenBucketOptions, TokenBuckets | undefined] {
  const limit = { capacity: Math.max(count, 1), refillPerSecond: Math.max(count, 1) / 60 };
  return [limit, count > 0 ? new TokenBuckets(limit, () => performance.now()) : undefined];
}

function limited(what: string, limit: TokenBucketOptions): AppError {
  return new AppError('rate_limited', `Too many ${what} from here; try again in a little while`, {
    retryAfterSeconds: Math.ceil(1 / limit.refillPerSecond),
  });
}
