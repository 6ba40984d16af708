import { DURATION_HISTOGRAM, FIRST_RESPONSE_HISTOGRAM, histogramMetrics } from './rollup-histograms.js';

/** The metrics also counted per local hour, as `<metric>.h00` … `<metric>.h23`: the busiest hours. */
export const HOURLY_METRICS: ReadonlySet<string> = new Set(['conversations.started']);

/** The rollup metric that counts `metric` in one local hour (0–23). */
export function hourlyMetric(metric: string, hour: number): string {
  return `${metric}.h${String(hour).padStart(2, '0')}`;
}

/** The metrics counted as events happen (docs/REPORTS.md lists when each is). */
export const EVENT_METRICS: readonly string[] = [
  'conversations.started',
  'conversations.closed',
  'conversations.missed',
  'offline_messages.received',
  'messages.visitor',
  'messages.operator',
  'first_response.count',
  'first_response.total_ms',
  ...histogramMetrics(FIRST_RESPONSE_HISTOGRAM),
  'duration.total_ms',
  ...histogramMetrics(DURATION_HISTOGRAM),
  'ratings.count',
  'ratings.sum',
  ...[1, 2, 3, 4, 5].map((rating) => `ratings.r${rating}`),
];

/**
 * Every metric a rollup row counts, each a column of `rollup_days` and `rollup_quarters`: the event
 * metrics, then the hourly ones. A metric added here needs a migration that adds its columns.
 */
export const ROLLUP_METRICS: readonly string[] = [
  ...EVENT_METRICS,
  ...[...HOURLY_METRICS].flatMap((metric) => Array.from({ length: 24 }, (_, hour) => hourlyMetric(metric, hour))),
];

/** The column of a metric: its name with `_` for `.`. */
export function rollupColumn(metric: string): string {
  return metric.replaceAll('.', '_');
}

/** The count columns of a rollup row, in the order of ROLLUP_METRICS. */
export const ROLLUP_COLUMNS: readonly string[] = ROLLUP_METRICS.map(rollupColumn);

const indexes = new Map(ROLLUP_METRICS.map((metric, index) => [metric, index]));

/** A metric's place in ROLLUP_METRICS; throws for a name that is none, which would count nowhere. */
export function metricIndex(metric: string): number {
  const index = indexes.get(metric);
  if (index === undefined) throw new Error(`No rollup metric is called ${JSON.stringify(metric)}`);
  return index;
}
