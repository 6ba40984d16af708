import { describe, expect, it } from 'vitest';
import { addDays, canonicalTimeZone, daysBetween, isCalendarDay, localSlot, weekdayOf } from './local-time.js';

const at = (iso: string) => Date.parse(iso);
const slot = (zone: string, iso: string) => localSlot(zone, at(iso));

describe('local time of reports', () => {
  it('counts a conversation at 23:30 UTC on the day and hour it was in Berlin and in New York', () => {
    // A winter day: Berlin is an hour ahead of UTC, New York five behind.
    expect(slot('Europe/Berlin', '2026-01-14T23:30:00Z')).toEqual({ day: '2026-01-15', hour: 0, weekday: 3 });
    expect(slot('America/New_York', '2026-01-14T23:30:00Z')).toEqual({ day: '2026-01-14', hour: 18, weekday: 2 });
    expect(slot('UTC', '2026-01-14T23:30:00Z')).toEqual({ day: '2026-01-14', hour: 23, weekday: 2 });
  });

  it('follows the clocks on the days daylight saving time starts and ends', () => {
    // Berlin springs forward on 2026-03-29 at 01:00 UTC (02:00 local becomes 03:00).
    expect(slot('Europe/Berlin', '2026-03-28T23:30:00Z')).toMatchObject({ day: '2026-03-29', hour: 0 });
    expect(slot('Europe/Berlin', '2026-03-29T00:59:00Z')).toMatchObject({ day: '2026-03-29', hour: 1 });
    expect(slot('Europe/Berlin', '2026-03-29T01:00:00Z')).toMatchObject({ day: '2026-03-29', hour: 3 });
    expect(slot('Europe/Berlin', '2026-03-29T23:30:00Z')).toMatchObject({ day: '2026-03-30', hour: 1 });
    // And falls back on 2026-10-25 at 01:00 UTC: the hour from 02:00 local comes twice.
    expect(slot('Europe/Berlin', '2026-10-24T23:30:00Z')).toMatchObject({ day: '2026-10-25', hour: 1 });
    expect(slot('Europe/Berlin', '2026-10-25T00:30:00Z')).toMatchObject({ day: '2026-10-25', hour: 2 });
    expect(slot('Europe/Berlin', '2026-10-25T01:30:00Z')).toMatchObject({ day: '2026-10-25', hour: 2 });
    expect(slot('Europe/Berlin', '2026-10-25T23:30:00Z')).toMatchObject({ day: '2026-10-26', hour: 0 });
    // New York springs forward on 2026-03-08 at 07:00 UTC and falls back on 2026-11-01 at 06:00 UTC.
    expect(slot('America/New_York', '2026-03-07T23:30:00Z')).toMatchObject({ day: '2026-03-07', hour: 18 });
    expect(slot('America/New_York', '2026-03-08T23:30:00Z')).toMatchObject({ day: '2026-03-08', hour: 19 });
    expect(slot('America/New_York', '2026-11-01T03:30:00Z')).toMatchObject({ day: '2026-10-31', hour: 23 });
    expect(slot('America/New_York', '2026-11-01T23:30:00Z')).toMatchObject({ day: '2026-11-01', hour: 18 });
  });

  it('turns the day at a quarter hour in zones whose offset is not whole hours', () => {
    // Kathmandu is 5:45 ahead of UTC: its midnight is 18:15 UTC.
    expect(slot('Asia/Kathmandu', '2026-12-01T18:14:59Z')).toMatchObject({ day: '2026-12-01', hour: 23 });
    expect(slot('Asia/Kathmandu', '2026-12-01T18:15:00Z')).toMatchObject({ day: '2026-12-02', hour: 0 });
    expect(slot('Asia/Kolkata', '2026-12-01T18:29:59Z')).toMatchObject({ day: '2026-12-01', hour: 23 });
    expect(slot('Asia/Kolkata', '2026-12-01T18:30:00Z')).toMatchObject({ day: '2026-12-02', hour: 0 });
  });

  it('answers the same slot for every moment of a quarter hour, and a new one after it, in each zone', () => {
    const start = at('2026-06-30T21:45:00Z');
    for (let ms = 0; ms < 15 * 60 * 1000; ms += 61_000) {
      expect(localSlot('Europe/Berlin', start + ms)).toEqual({ day: '2026-06-30', hour: 23, weekday: 1 });
      expect(localSlot('America/New_York', start + ms)).toEqual({ day: '2026-06-30', hour: 17, weekday: 1 });
    }
    expect(localSlot('Europe/Berlin', start + 15 * 60 * 1000)).toEqual({ day: '2026-07-01', hour: 0, weekday: 2 });
  });

  it('knows the IANA zones by their canonical names, and no others', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(canonicalTimeZone('')).toBeUndefined();
  });

  it('counts calendar days and weekdays, and refuses days that are not in the calendar', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(daysBetween('2026-01-01', '2026-01-01')).toBe(1);
    expect(daysBetween('2026-01-01', '2026-12-31')).toBe(365);
    expect(weekdayOf('2026-12-01')).toBe(1);
    expect(weekdayOf('2026-12-06')).toBe(6);
    expect(['2026-02-28', '2028-02-29'].every(isCalendarDay)).toBe(true);
    expect(['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-1', '26-01-01', ''].some(isCalendarDay)).toBe(false);
  });
});
