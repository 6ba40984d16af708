import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-bucket.js';

function clock(start = 0) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

describe('TokenBuckets', () => {
  it('lets a burst of capacity through, then the refill rate', () => {
    const time = clock();
    const buckets = new TokenBuckets({ capacity: 5, refillPerSecond: 2 }, time.now);
    for (let i = 0; i < 5; i++) expect(buckets.take('socket')).toBe(true);
    expect(buckets.take('socket')).toBe(false);
    time.advance(499);
    expect(buckets.take('socket')).toBe(false);
    time.advance(1);
    expect(buckets.take('socket')).toBe(true);
    expect(buckets.take('socket')).toBe(false);
  });

  it('keeps keys apart', () => {
    const time = clock();
    const buckets = new TokenBuckets({ capacity: 1, refillPerSecond: 1 }, time.now);
    expect(buckets.take('a')).toBe(true);
    expect(buckets.take('a')).toBe(false);
    expect(buckets.take('b')).toBe(true);
  });

  it('never fills beyond capacity, however long a key was idle', () => {
    const time = clock();
    const buckets = new TokenBuckets({ capacity: 3, refillPerSecond: 10 }, time.now);
    buckets.take('a');
    time.advance(60_000);
    for (let i = 0; i < 3; i++) expect(buckets.take('a')).toBe(true);
    expect(buckets.take('a')).toBe(false);
  });

  it('takes nothing when a costly request does not fit', () => {
    const time = clock();
    const buckets = new TokenBuckets({ capacity: 4, refillPerSecond: 1 }, time.now);
    expect(buckets.take('a', 3)).toBe(true);
    expect(buckets.take('a', 3)).toBe(false);
    expect(buckets.take('a', 1)).toBe(true);
  });

  it('forgets keys that have been idle long enough to be full again', () => {
    const time = clock();
    const buckets = new TokenBuckets({ capacity: 2, refillPerSecond: 1 }, time.now);
    for (let i = 0; i < 1000; i++) buckets.take(`visitor-${i}`);
    expect(buckets.size).toBe(1000);
    time.advance(2_000);
    buckets.take('fresh');
    expect(buckets.size).toBe(1);
  });
});
