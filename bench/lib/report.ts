/** One result line of a benchmark (DESIGN §6): `ratio` is value / baseline, both measured in the same run. */
export interface BenchResult {
  readonly bench: string;
  readonly metric: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline: number;
  readonly ratio: number;
  /** Informational, such as "ratio <= 2"; a run does not fail on it. */
  readonly target: string;
}

/**
 * Rounds a measurement for printing: three significant digits below 1000 (13.6, 4.21, 0.0123), whole
 * numbers above. Timings on a shared machine carry no more precision than that.
 */
export function roundMeasurement(x: number): number {
  if (x === 0 || Math.abs(x) >= 1000) return Math.round(x);
  return Number(x.toPrecision(3));
}

/**
 * Rounds a ratio to two decimals; one under 0.1 to two significant digits, so that a value far below
 * its baseline does not print as 0.
 */
export function roundRatio(x: number): number {
  if (x !== 0 && Math.abs(x) < 0.1) return Number(x.toPrecision(2));
  return Math.round(x * 100) / 100;
}

/**
 * Builds a result; the ratio is computed from the unrounded value and baseline. Throws on an empty
 * name or unit, a value that is not a finite non-negative number, or a baseline that is not positive,
 * so a broken measurement never prints as a plausible line.
 */
export function result(input: Omit<BenchResult, 'ratio'>): BenchResult {
  for (const key of ['bench', 'metric', 'unit', 'target'] as const) {
    if (typeof input[key] !== 'string' || input[key].trim() === '') {
      throw new Error(`Bench result ${key} must be a non-empty string (got ${JSON.stringify(input[key])})`);
    }
  }
  if (!Number.isFinite(input.value) || input.value < 0) {
    throw new Error(`Bench ${input.bench} ${input.metric}: value must be a finite number >= 0 (got ${input.value})`);
  }
  if (!Number.isFinite(input.baseline) || input.baseline <= 0) {
    throw new Error(
      `Bench ${input.bench} ${input.metric}: baseline must be a finite number > 0 (got ${input.baseline})`,
    );
  }
  // Fixed key order, so lines of different runs line up.
  return {
    bench: input.bench,
    metric: input.metric,
    unit: input.unit,
    value: roundMeasurement(input.value),
    baseline: roundMeasurement(input.baseline),
    ratio: roundRatio(input.value / input.baseline),
    target: input.target,
  };
}

/** The stdout line of a result: one JSON object, no newline. */
export function formatResult(input: Omit<BenchResult, 'ratio'>): string {
  return JSON.stringify(result(input));
}

/** Prints a result line on stdout. */
export function report(input: Omit<BenchResult, 'ratio'>): void {
  process.stdout.write(`${formatResult(input)}\n`);
}

/** Prints a progress line on stderr, prefixed with the bench name. */
export function progress(bench: string, message: string): void {
  process.stderr.write(`[${bench}] ${message}\n`);
}
