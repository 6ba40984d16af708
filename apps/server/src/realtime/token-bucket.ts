/** Options of a token bucket: `capacity` tokens at most, refilled at `refillPerSecond`. */
export interface TokenBucketOptions {
  capacity: number;
  refillPerSecond: number;
}

/**
 * Rate limits in memory, one token bucket per key (a socket, a visitor): a burst of up to `capacity`
 * passes, then `refillPerSecond` a second. Buckets idle long enough to be full are forgotten, so
 * memory follows the active keys only.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweepAt: number;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly now: () => number,
  ) {
    if (options.capacity < 1 || options.refillPerSecond <= 0)
      throw new Error('A token bucket needs capacity ≥ 1 and a refill > 0');
    this.lastSweepAt = now();
  }

  /** Takes `cost` tokens for `key`; false (and nothing taken) when the bucket holds fewer. */
  take(key: string, cost = 1): boolean {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.options.capacity, at: now };
    const refilled = Math.min(
      this.options.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * this.options.refillPerSecond,
    );
    if (refilled < cost) {
      this.buckets.set(key, { tokens: refilled, at: now });
      return false;
    }
    this.buckets.set(key, { tokens: refilled - cost, at: now });
    return true;
  }

  /** How many keys are tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.options.capacity / this.options.refillPerSecond) * 1000;
    if (now - this.lastSweepAt < fullAfterMs) return;
    this.lastSweepAt = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= fullAfterMs) this.buckets.delete(key);
  }
}
