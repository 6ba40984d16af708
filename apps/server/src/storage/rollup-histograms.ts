/**
 * Histograms for the percentiles of a report: rollups hold sums and counts, never single values, so a
 * median or 90th percentile comes from counts per bucket. Each bucket counts the values above the
 * bound before it, up to and including its own; the last bucket has no upper bound.
 */
export interface Histogram {
  /** Upper bounds in milliseconds, rising; the bucket after the last one holds everything above it. */
  boundsMs: readonly number[];
  /** The rollup metric that counts a bucket, by its index (boundsMs.length for the last one). */
  metric: (index: number) => string;
}

/**
 * First response times: fine steps in the first minutes, where a live chat's answers fall, then
 * coarser up to an hour. A percentile is off by less than its bucket's width: 5 s under 20 s.
 */
export const FIRST_RESPONSE_HISTOGRAM: Histogram = histogram(
  'first_response',
  [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600].map((seconds) => seconds * 1000),
);

/**
 * Conversation durations, from start to close: a chat takes minutes, a conversation left open while
 * the visitor is away hours. A percentile is off by less than its bucket's width: 5 min under 20 min.
 */
export const DURATION_HISTOGRAM: Histogram = histogram(
  'duration',
  [60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 28800, 86400].map((seconds) => seconds * 1000),
);

/** The rollup metrics of a histogram's buckets, in order. */
export function histogramMetrics(histogram: Histogram): string[] {
  return Array.from({ length: histogram.boundsMs.length + 1 }, (_, index) => histogram.metric(index));
}

/** The histogram of rollup metrics `<prefix>.le_<seconds>s` and `<prefix>.le_inf`. */
export function histogram(prefix: string, boundsMs: readonly number[]): Histogram {
  const names = [...boundsMs.map((bound) => `${prefix}.le_${bound / 1000}s`), `${prefix}.le_inf`];
  return { boundsMs, metric: (index) => names[index] ?? `${prefix}.le_inf` };
}

/** The index of the bucket that counts `valueMs`. */
export function bucketOf(histogram: Histogram, valueMs: number): number {
  const index = histogram.boundsMs.findIndex((bound) => valueMs <= bound);
  return index === -1 ? histogram.boundsMs.length : index;
}

/**
 * The `q` quantile (0.5 for the median) of the values counted in `counts` (one count per bucket, by
 * index), assuming values spread evenly inside each bucket; undefined when nothing was counted. A
 * quantile in the last bucket answers its lower bound: the values there have no upper one.
 */
export function quantileOf(histogram: Histogram, counts: readonly number[], q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`A quantile lies between 0 and 1, not ${q}`);
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  // The rank of the value sought, among `total` values in order (1-based, as a fraction).
  const rank = q * total;
  let below = 0;
  for (let index = 0; index <= histogram.boundsMs.length; index++) {
    const count = counts[index] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lower = index === 0 ? 0 : (histogram.boundsMs[index - 1] as number);
      const upper = histogram.boundsMs[index];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  // Not reached: with q at most 1 the rank is at most the total.
  return undefined;
}
