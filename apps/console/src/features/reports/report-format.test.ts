import { describe, expect, it } from 'vitest';
import {
  changeAgainst,
  durationText,
  heatLevels,
  operatorLabel,
  percentText,
  previousPeriodText,
  REMOVED_OPERATOR,
} from './report-format.js';

const count = (value: number) => String(value);
const higher = { days: 30, better: 'higher', format: count } as const;

describe('a figure against the previous period', () => {
  it('gives the change in whole percents with its sign, and says whether it is good news', () => {
    expect(changeAgainst(112, 100, higher)).toEqual({ text: '+12 % vs previous 30 days', tone: 'better' });
    expect(changeAgainst(50, 100, higher)).toEqual({ text: '\u221250 % vs previous 30 days', tone: 'worse' });
    expect(changeAgainst(0, 8, higher)).toEqual({ text: '\u2212100 % vs previous 30 days', tone: 'worse' });
    // A shorter first response is the better one.
    expect(changeAgainst(30_000, 60_000, { ...higher, better: 'lower' }).tone).toBe('better');
    expect(changeAgainst(3, 2, { ...higher, better: 'neither' }).tone).toBe('neutral');
  });

  it('keeps a decimal under one percent, so a small change does not read as none', () => {
    expect(changeAgainst(1003, 1000, higher).text).toBe('+0.3 % vs previous 30 days');
    expect(changeAgainst(7, 7, higher)).toEqual({ text: 'no change vs previous 30 days', tone: 'neutral' });
  });

  it('says there was none before instead of dividing by zero', () => {
    expect(changeAgainst(5, 0, higher)).toEqual({ text: 'none in the previous 30 days', tone: 'neutral' });
    expect(changeAgainst(4.5, null, higher).text).toBe('none in the previous 30 days');
    expect(changeAgainst(0, 0, higher).text).toBe('no change vs previous 30 days');
    expect(changeAgainst(null, null, higher).text).toBe('nothing to compare vs previous 30 days');
  });

  it('names what a figure was when nothing was counted now', () => {
    const format = (ms: number) => durationText(ms);
    expect(changeAgainst(null, 42_000, { ...higher, format })).toEqual({
      text: '42 s in the previous 30 days',
      tone: 'neutral',
    });
  });

  it('gives the bare percentage where there is one', () => {
    expect(percentText(90, 120)).toBe('\u221225 %');
    expect(percentText(5, 0)).toBeUndefined();
    expect(percentText(null, 3)).toBeUndefined();
    expect(percentText(3, 3)).toBeUndefined();
  });

  it('names the previous period by its length', () => {
    expect(previousPeriodText(1)).toBe('previous day');
    expect(previousPeriodText(7)).toBe('previous 7 days');
    expect(changeAgainst(2, 1, { ...higher, days: 1 }).text).toBe('+100 % vs previous day');
  });
});

describe('report times', () => {
  it('writes milliseconds as people say them', () => {
    expect(durationText(null)).toBe('–');
    expect(durationText(400)).toBe('0.4 s');
    expect(durationText(12_300)).toBe('12 s');
    expect(durationText(120_000)).toBe('2 min');
    expect(durationText(125_000)).toBe('2 min 5 s');
    expect(durationText(4_800_000)).toBe('1 h 20 min');
  });
});

describe('the busiest hours heatmap', () => {
  it('shades each hour in proportion to the busiest, zero only for none', () => {
    const grid = [
      [0, 1, 5, 10],
      [2, 0, 0, 0],
    ];
    expect(heatLevels(grid)).toEqual([
      [0, 1, 3, 5],
      [1, 0, 0, 0],
    ]);
  });

  it('leaves a period without conversations blank', () => {
    expect(heatLevels([[0, 0, 0]])).toEqual([[0, 0, 0]]);
    expect(heatLevels([[3, 3]], 4)).toEqual([[4, 4]]);
  });
});

describe('operator names', () => {
  it('names listed operators and gives removed ones a neutral label', () => {
    const operators = [{ id: 'op_1', displayName: 'Ada' }];
    expect(operatorLabel('op_1', operators)).toBe('Ada');
    expect(operatorLabel('op_gone', operators)).toBe(REMOVED_OPERATOR);
  });
});
