import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { TokenBuckets, type TokenBucketOptions } from '../realtime/token-bucket.js';

/** Files per client address: 20 at once, then one every 10 seconds. */
export const UPLOAD_LIMIT_PER_CLIENT: TokenBucketOptions = { capacity: 20, refillPerSecond: 0.1 };
/** Files per visitor: 10 at once, then one every 30 seconds. */
export const UPLOAD_LIMIT_PER_VISITOR: TokenBucketOptions = { capacity: 10, refillPerSecond: 1 / 30 };

/**
 * In-memory rate limits of the public endpoints (visitor sessions, visitor uploads), per node. A
 * client is known only as an HMAC of its address under a random per-process salt: no IP is kept.
 */
export class PublicLimits {
  private readonly salt = randomBytes(32);
  /** Undefined when the installation turned the limit off (VISITOR_SESSIONS_PER_MINUTE=0). */
  private readonly sessions: TokenBuckets | undefined;
  private readonly sessionLimit: TokenBucketOptions;
  private readonly uploadsPerClient = new TokenBuckets(UPLOAD_LIMIT_PER_CLIENT, () => performance.now());
  private readonly uploadsPerVisitor = new TokenBuckets(UPLOAD_LIMIT_PER_VISITOR, () => performance.now());

  /**
   * Visitor sessions start when a visitor opens the chat: `visitorSessionsPerMinute` a minute, and as
   * many at once, leave room for an office behind one address, not for a script minting tokens.
   */
  constructor(options: { visitorSessionsPerMinute: number }) {
    const perMinute = options.visitorSessionsPerMinute;
    this.sessionLimit = { capacity: Math.max(perMinute, 1), refillPerSecond: Math.max(perMinute, 1) / 60 };
    this.sessions = perMinute > 0 ? new TokenBuckets(this.sessionLimit, () => performance.now()) : undefined;
  }

  /** Throws `rate_limited` when the request's client started too many visitor sessions. */
  takeVisitorSession(request: FastifyRequest): void {
    if (this.sessions && !this.sessions.take(this.clientKey(request))) {
      throw limited('visitor sessions', this.sessionLimit);
    }
  }

  /** Throws `rate_limited` when the client or the visitor sent too many files. */
  takeUpload(request: FastifyRequest, visitorId: string): void {
    if (!this.uploadsPerClient.take(this.clientKey(request))) throw limited('files', UPLOAD_LIMIT_PER_CLIENT);
    if (!this.uploadsPerVisitor.take(visitorId)) throw limited('files', UPLOAD_LIMIT_PER_VISITOR);
  }

  private clientKey(request: FastifyRequest): string {
    return createHmac('sha256', this.salt).update(request.ip).digest('base64url').slice(0, 22);
  }
}

function limited(what: string, limit: TokenBucketOptions): AppError {
  return new AppError('rate_limited', `Too many ${what} from here; try again in a little while`, {
    retryAfterSeconds: Math.ceil(1 / limit.refillPerSecond),
  });
}
