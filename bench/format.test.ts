import { describe, expect, it } from 'vitest';
import { median } from './lib/measure.js';
import { formatResult, result } from './lib/report.js';

const line = {
  bench: 'crypto',
  metric: 'seal_open_200b',
  unit: 'µs',
  value: 13.6,
  baseline: 9.1,
  target: 'ratio <= 1.5',
};

describe('formatResult', () => {
  it('prints one JSON object with the keys of DESIGN §6 in a fixed order', () => {
    const text = formatResult(line);
    expect(text).not.toContain('\n');
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'bench',
      'metric',
      'unit',
      'value',
      'baseline',
      'ratio',
      'target',
    ]);
  });

  it('computes the ratio as value / baseline from the unrounded numbers, to two decimals (two significant digits under 0.1)', () => {
    expect(result(line).ratio).toBe(1.49);
    expect(result({ ...line, value: 2.004, baseline: 1 }).ratio).toBe(2);
    expect(result({ ...line, value: 926.4, baseline: 824.6 }).ratio).toBe(1.12);
    // Far below the baseline: two significant digits rather than 0.
    expect(result({ ...line, value: 15.3, baseline: 11_423 }).ratio).toBe(0.0013);
    expect(result({ ...line, value: 0, baseline: 5 }).ratio).toBe(0);
  });

  it('rounds value and baseline to three significant digits, whole numbers from 1000 up', () => {
    expect(result({ ...line, value: 32.7712, baseline: 0.012345 })).toMatchObject({ value: 32.8, baseline: 0.0123 });
    expect(result({ ...line, value: 4669.4, baseline: 1234.5 })).toMatchObject({ value: 4669, baseline: 1235 });
  });

  it('refuses a result that would print as a plausible but broken line', () => {
    expect(() => formatResult({ ...line, baseline: 0 })).toThrow(/baseline/);
    expect(() => formatResult({ ...line, value: Number.NaN })).toThrow(/value/);
    expect(() => formatResult({ ...line, metric: '' })).toThrow(/metric/);
    expect(() => formatResult({ ...line, target: ' ' })).toThrow(/target/);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});
