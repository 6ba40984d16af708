import { performance } from 'node:perf_hooks';

/** Runs `ops` operations of the thing measured; may be synchronous or asynchronous. */
export type Batch = (ops: number) => void | Promise<void>;

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('The median of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  // Safe: middle and middle - 1 are in range for a non-empty list of the parity checked.
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds one batch of `ops` operations takes. */
export async function timeBatch(batch: Batch, ops: number): Promise<number> {
  const started = performance.now();
  await batch(ops);
  return performance.now() - started;
}

/**
 * How many operations make a batch of about `targetMs`: grows a trial batch until it takes at least
 * 20 ms (so timer resolution and one-off stalls do not dominate), then scales. Doubles as warm-up.
 */
export async function opsForDuration(
  batch: Batch,
  options: { targetMs: number; minOps: number; maxOps: number },
): Promise<number> {
  let ops = 1;
  for (;;) {
    const ms = await timeBatch(batch, ops);
    if (ms >= 20 || ops >= options.maxOps) {
      const scaled = Math.round((ops * options.targetMs) / Math.max(ms, 0.001));
      return Math.min(options.maxOps, Math.max(options.minOps, scaled));
    }
    ops *= 4;
  }
}

/** Per-operation times of each round, in microseconds. */
export interface Rounds {
  readonly valueUs: number[];
  readonly baselineUs: number[];
}

/**
 * Measures value and baseline in `rounds` rounds of `ops` operations each. Within a round the two
 * alternate in chunks of `chunkOps` operations (a few milliseconds), each chunk timed on its own, so a
 * burst of load from another process lands on both sides alike instead of on one side's whole batch.
 * One extra round before them warms up and is discarded.
 */
export async function interleavedRounds(options: {
  value: Batch;
  baseline: Batch;
  rounds: number;
  ops: number;
  chunkOps: number;
  onRound?: (round: number, valueUs: number, baselineUs: number) => void;
}): Promise<Rounds> {
  const valueUs: number[] = [];
  const baselineUs: number[] = [];
  for (let round = 0; round <= options.rounds; round++) {
    let valueMs = 0;
    let baselineMs = 0;
    for (let done = 0, chunk = 0; done < options.ops; chunk++) {
      const ops = Math.min(options.chunkOps, options.ops - done);
      done += ops;
      if (chunk % 2 === 0) {
        baselineMs += await timeBatch(options.baseline, ops);
        valueMs += await timeBatch(options.value, ops);
      } else {
        valueMs += await timeBatch(options.value, ops);
        baselineMs += await timeBatch(options.baseline, ops);
      }
    }
    if (round === 0) continue;
    const v = (valueMs * 1000) / options.ops;
    const b = (baselineMs * 1000) / options.ops;
    valueUs.push(v);
    baselineUs.push(b);
    options.onRound?.(round, v, b);
  }
  return { valueUs, baselineUs };
}
