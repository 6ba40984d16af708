import { describe, expect, it } from 'vitest';
import { bucketOf, FIRST_RESPONSE_HISTOGRAM, histogram, quantileOf } from './rollup-histograms.js';

describe('report histograms', () => {
  const seconds = histogram('wait', [10_000, 20_000, 60_000]);

  it('counts a value in the first bucket whose bound it does not pass, the last one above every bound', () => {
    expect([0, 10_000, 10_001, 20_000, 59_999, 60_000, 60_001, 1e9].map((ms) => bucketOf(seconds, ms))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3,
    ]);
    expect([0, 1, 2, 3].map((index) => seconds.metric(index))).toEqual([
      'wait.le_10s',
      'wait.le_20s',
      'wait.le_60s',
      'wait.le_inf',
    ]);
  });

  it('estimates a quantile inside its bucket, as if the values there were spread evenly', () => {
    // Ten values in (10 s, 20 s]: the median is halfway, the 90th percentile nine tenths in.
    expect(quantileOf(seconds, [0, 10, 0, 0], 0.5)).toBe(15_000);
    expect(quantileOf(seconds, [0, 10, 0, 0], 0.9)).toBe(19_000);
    // Half the values under 10 s, half in (20 s, 60 s]: the median is the first bucket's top.
    expect(quantileOf(seconds, [5, 0, 5, 0], 0.5)).toBe(10_000);
    expect(quantileOf(seconds, [5, 0, 5, 0], 0.9)).toBe(52_000);
  });

  it('answers the lower bound for a quantile above the last bound, and nothing without values', () => {
    expect(quantileOf(seconds, [1, 0, 0, 9], 0.9)).toBe(60_000);
    expect(quantileOf(seconds, [0, 0, 0, 0], 0.5)).toBeUndefined();
    expect(quantileOf(seconds, [], 0.5)).toBeUndefined();
    expect(() => quantileOf(seconds, [1], 1.5)).toThrow(RangeError);
  });

  it('matches the exact percentiles of first response times to within their bucket', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 2_000 + ((i * 7919) % 1000) * 70);
    const counts: number[] = [];
    for (const value of values) {
      const index = bucketOf(FIRST_RESPONSE_HISTOGRAM, value);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      const estimate = quantileOf(FIRST_RESPONSE_HISTOGRAM, counts, q) as number;
      const bucket = bucketOf(FIRST_RESPONSE_HISTOGRAM, exact);
      const lower = bucket === 0 ? 0 : (FIRST_RESPONSE_HISTOGRAM.boundsMs[bucket - 1] as number);
      const upper = FIRST_RESPONSE_HISTOGRAM.boundsMs[bucket] as number;
      expect(estimate).toBeGreaterThanOrEqual(lower);
      expect(estimate).toBeLessThanOrEqual(upper);
    }
  });
});
