import { describe, expect, it } from 'vitest';
import { isWithinBusinessHours } from './business-hours.js';

const weekdays = {
  timeZone: 'Europe/Berlin',
  spans: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' })),
};

describe('isWithinBusinessHours', () => {
  it('reads the hours in their own time zone', () => {
    // Monday 2026-11-30, 08:30 UTC is 09:30 in Berlin (CET, UTC+1).
    expect(isWithinBusinessHours(weekdays, new Date('2026-11-30T08:30:00Z'))).toBe(true);
    // 07:30 UTC is 08:30 in Berlin: not yet open.
    expect(isWithinBusinessHours(weekdays, new Date('2026-11-30T07:30:00Z'))).toBe(false);
    // Saturday.
    expect(isWithinBusinessHours(weekdays, new Date('2026-12-05T10:00:00Z'))).toBe(false);
  });

  it('follows daylight saving time', () => {
    // Monday 2026-06-01, 07:30 UTC is 09:30 in Berlin (CEST, UTC+2).
    expect(isWithinBusinessHours(weekdays, new Date('2026-06-01T07:30:00Z'))).toBe(true);
  });

  it('runs a span whose close is not after its open past midnight', () => {
    const nights = { timeZone: 'UTC', spans: [{ day: 5, open: '22:00', close: '02:00' }] };
    expect(isWithinBusinessHours(nights, new Date('2026-12-04T23:00:00Z'))).toBe(true);
    expect(isWithinBusinessHours(nights, new Date('2026-12-05T01:00:00Z'))).toBe(true);
    expect(isWithinBusinessHours(nights, new Date('2026-12-05T03:00:00Z'))).toBe(false);
  });

  it('is always open without hours', () => {
    expect(isWithinBusinessHours(null, new Date())).toBe(true);
  });
});
