import { describe, expect, it } from 'vitest';
import { addDays, daysIn, isDay, presetOf, presetRange, timeZoneChoices, todayIn } from './report-range.js';

// 23:30 UTC on Saturday 14 March 2026: already Sunday the 15th in Berlin, still the 14th in New York.
const NOW = Date.parse('2026-03-14T23:30:00Z');

describe('report periods', () => {
  it("takes today in the account's time zone, not the browser's", () => {
    expect(todayIn('UTC', NOW)).toBe('2026-03-14');
    expect(todayIn('Europe/Berlin', NOW)).toBe('2026-03-15');
    expect(todayIn('America/New_York', NOW)).toBe('2026-03-14');
    // +05:45: the day turns at a quarter hour.
    expect(todayIn('Asia/Kathmandu', Date.parse('2026-03-14T18:14:00Z'))).toBe('2026-03-14');
    expect(todayIn('Asia/Kathmandu', Date.parse('2026-03-14T18:15:00Z'))).toBe('2026-03-15');
  });

  it('ends the rolling presets today, both ends counted', () => {
    const at = { timeZone: 'Europe/Berlin', now: NOW };
    expect(presetRange('last-7-days', at)).toEqual({ from: '2026-03-09', to: '2026-03-15' });
    expect(presetRange('last-30-days', at)).toEqual({ from: '2026-02-14', to: '2026-03-15' });
    expect(daysIn(presetRange('last-7-days', at))).toBe(7);
    expect(daysIn(presetRange('last-30-days', at))).toBe(30);
  });

  it('gives this month so far, the whole of last month, and twelve months with this one', () => {
    const at = { timeZone: 'America/New_York', now: NOW };
    expect(presetRange('this-month', at)).toEqual({ from: '2026-03-01', to: '2026-03-14' });
    expect(presetRange('last-month', at)).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(presetRange('last-12-months', at)).toEqual({ from: '2025-04-01', to: '2026-03-14' });
  });

  it('crosses the year back in January, and finds the end of a leap February', () => {
    const january = { timeZone: 'UTC', now: Date.parse('2024-01-10T12:00:00Z') };
    expect(presetRange('last-month', january)).toEqual({ from: '2023-12-01', to: '2023-12-31' });
    expect(presetRange('last-12-months', january)).toEqual({ from: '2023-02-01', to: '2024-01-10' });
    const march = { timeZone: 'UTC', now: Date.parse('2024-03-31T12:00:00Z') };
    expect(presetRange('last-month', march)).toEqual({ from: '2024-02-01', to: '2024-02-29' });
  });

  it('recognises a period that is a preset, and none that is not', () => {
    const at = { timeZone: 'Europe/Berlin', now: NOW };
    expect(presetOf({ from: '2026-03-01', to: '2026-03-15' }, at)).toBe('this-month');
    expect(presetOf({ from: '2026-03-01', to: '2026-03-14' }, at)).toBeUndefined();
  });

  it('counts days across a change of the clocks, and none for a reversed period', () => {
    expect(daysIn({ from: '2026-03-28', to: '2026-03-30' })).toBe(3);
    expect(daysIn({ from: '2026-03-30', to: '2026-03-28' })).toBe(0);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('accepts calendar days only', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('15.01.2026')).toBe(false);
    expect(isDay('')).toBe(false);
  });

  it("offers UTC first and keeps the account's zone when the browser does not list it", () => {
    expect(timeZoneChoices(['Europe/Berlin', 'Africa/Abidjan'], 'UTC')).toEqual([
      'UTC',
      'Africa/Abidjan',
      'Europe/Berlin',
    ]);
    expect(timeZoneChoices(['Europe/Berlin'], 'Europe/Kyiv')).toEqual(['UTC', 'Europe/Berlin', 'Europe/Kyiv']);
  });
});
