import { createHmac, randomBytes } from 'node:crypto';

/** Failed logins allowed per login target (the email's index) in one window. */
export const MAX_FAILURES_PER_TARGET = 5;
/** Failed logins allowed per client address hash in one window. */
export const MAX_FAILURES_PER_CLIENT = 20;
/** The window in which failures count, in milliseconds. */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Brute-force protection for logins, in memory. Failures are counted per login target and per
 * client; the client is known only as an HMAC of its IP under a random per-process salt, so no IP
 * is kept, not even here.
 */
export class LoginThrottle {
  private readonly salt = randomBytes(32);
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /** The salted hash that stands for a client IP. */
  clientKey(ip: string): string {
    return createHmac('sha256', this.salt).update(ip).digest('base64url').slice(0, 22);
  }

  /** Milliseconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterMs(input: { target: string; client: string }): number {
    return Math.max(
      this.waitFor(`t:${input.target}`, MAX_FAILURES_PER_TARGET),
      this.waitFor(`c:${input.client}`, MAX_FAILURES_PER_CLIENT),
    );
  }

  /** Counts a failed attempt against both the target and the client. */
  recordFailure(input: { target: string; client: string }): void {
    for (const key of [`t:${input.target}`, `c:${input.client}`]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.set(key, list);
    }
    if (this.failures.size > 100_000) this.sweep();
  }

  /** Clears the target's failures after a successful login. */
  recordSuccess(input: { target: string }): void {
    this.failures.delete(`t:${input.target}`);
  }

  private waitFor(key: string, max: number): number {
    const list = this.recent(key);
    if (list.length < max) return 0;
    const oldestCounted = list[list.length - max] ?? this.now();
    return Math.max(1, oldestCounted + THROTTLE_WINDOW_MS - this.now());
  }

  private recent(key: string): number[] {
    const since = this.now() - THROTTLE_WINDOW_MS;
    return (this.failures.get(key) ?? []).filter((at) => at > since);
  }

  private sweep(): void {
    for (const key of this.failures.keys()) {
      const list = this.recent(key);
      if (list.length === 0) this.failures.delete(key);
      else this.failures.set(key, list);
    }
  }
}
