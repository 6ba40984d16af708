import { createHmac, randomBytes } from 'node:crypto';

/** Failed logins allowed per login target (the email's index) in one window. */
export const MAX_FAILURES_PER_TARGET = 5;
/** Failed logins allowed per client address hash in one window. */
export const MAX_FAILURES_PER_CLIENT = 20;
/** The window in which failures count, in milliseconds. */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** Beyond this many tracked targets and clients, the oldest are forgotten (memory bound). */
const MAX_TRACKED_KEYS = 100_000;

/** Who tries to log in: the login target (email index) and the client (salted hash of the IP). */
export interface LoginAttempt {
  target: string;
  client: string;
}

/**
 * Brute-force protection for logins, in memory. Every attempt counts as a failure from the moment it
 * starts, synchronously, so parallel attempts cannot slip past the limit while their passwords are
 * checked; a success takes its count back. The client is known only as an HMAC of its IP under a
 * random per-process salt: no IP is kept, not even here.
 */
export class LoginThrottle {
  private readonly salt = randomBytes(32);
  // Insertion-ordered: re-inserting a key on use keeps the least recently used first, for eviction.
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /** The salted hash that stands for a client IP. */
  clientKey(ip: string): string {
    return createHmac('sha256', this.salt).update(ip).digest('base64url').slice(0, 22);
  }

  /**
   * Starts an attempt: returns the milliseconds to wait when the target or the client is over its
   * limit (nothing is counted then), or 0 after counting the attempt against both.
   */
  begin(attempt: LoginAttempt): number {
    const wait = Math.max(
      this.waitFor(`t:${attempt.target}`, MAX_FAILURES_PER_TARGET),
      this.waitFor(`c:${attempt.client}`, MAX_FAILURES_PER_CLIENT),
    );
    if (wait > 0) return wait;
    for (const key of [`t:${attempt.target}`, `c:${attempt.client}`]) this.push(key);
    return 0;
  }

  /** Ends an attempt that succeeded: the target's failures are cleared and the client's count returned. */
  succeeded(attempt: LoginAttempt): void {
    this.attempts.delete(`t:${attempt.target}`);
    const client = this.attempts.get(`c:${attempt.client}`);
    client?.pop();
  }

  private waitFor(key: string, max: number): number {
    const list = this.recent(key);
    if (list.length < max) return 0;
    const oldestCounted = list[list.length - max] ?? this.now();
    return Math.max(1, oldestCounted + THROTTLE_WINDOW_MS - this.now());
  }

  private push(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.attempts.delete(key);
    this.attempts.set(key, list);
    while (this.attempts.size > MAX_TRACKED_KEYS) {
      const oldest = this.attempts.keys().next().value;
      if (oldest === undefined) break;
      this.attempts.delete(oldest);
    }
  }

  private recent(key: string): number[] {
    const since = this.now() - THROTTLE_WINDOW_MS;
    const list = (this.attempts.get(key) ?? []).filter((at) => at > since);
    if (list.length === 0) this.attempts.delete(key);
    return list;
  }
}
