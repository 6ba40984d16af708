/**
 * The calendar days a report covers. Reports count days in the account's time zone (docs/REPORTS.md),
 * so "today" and the presets are taken there, not in the browser's zone. Days are `YYYY-MM-DD`
 * strings; their arithmetic runs on UTC midnights, where every day has 24 hours.
 */

/** A period of local calendar days, both counted. */
export interface DayRange {
  from: string;
  to: string;
}

/** The quick choices of the period picker. */
export type Preset = 'last-7-days' | 'last-30-days' | 'this-month' | 'last-month' | 'last-12-months';

/** The presets in the picker's order, with their labels. */
export const PRESETS: readonly { id: Preset; label: string }[] = [
  { id: 'last-7-days', label: 'Last 7 days' },
  { id: 'last-30-days', label: 'Last 30 days' },
  { id: 'this-month', label: 'This month' },
  { id: 'last-month', label: 'Last month' },
  { id: 'last-12-months', label: 'Last 12 months' },
];

/** The period a report opens with. */
export const DEFAULT_PRESET: Preset = 'last-30-days';

const DAY_MS = 24 * 60 * 60 * 1000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a calendar day written `YYYY-MM-DD` (no 30 February). */
export function isDay(value: string): boolean {
  const match = DAY.exec(value);
  if (!match) return false;
  return dayOf(utcMidnight(value)) === value;
}

/** UTC midnight of a `YYYY-MM-DD` day, in epoch milliseconds; NaN for anything else. */
export function utcMidnight(day: string): number {
  const match = DAY.exec(day);
  if (!match) return Number.NaN;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

function dayOf(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10);
}

/** The day `days` after `day` (before, when negative). */
export function addDays(day: string, days: number): string {
  return dayOf(utcMidnight(day) + days * DAY_MS);
}

/** How many days a period has, both ends counted (a reversed one has none). */
export function daysIn(range: DayRange): number {
  return Math.max(0, Math.round((utcMidnight(range.to) - utcMidnight(range.from)) / DAY_MS) + 1);
}

/** The calendar day it is at `now` (epoch ms) in the IANA time zone `timeZone`. */
export function todayIn(timeZone: string, now: number): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The first day of the month `months` after the month of `day` (before, when negative). */
function monthStart(day: string, months: number): string {
  const date = new Date(utcMidnight(day));
  return dayOf(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

/**
 * The days of a preset at `now` in the account's time zone. Every preset but "last month" ends
 * today, which is counted; "last 12 months" starts on the first of the month eleven months back, so
 * it holds this month so far and the eleven before it whole.
 */
export function presetRange(preset: Preset, at: { timeZone: string; now: number }): DayRange {
  const today = todayIn(at.timeZone, at.now);
  switch (preset) {
    case 'last-7-days':
      return { from: addDays(today, -6), to: today };
    case 'last-30-days':
      return { from: addDays(today, -29), to: today };
    case 'this-month':
      return { from: monthStart(today, 0), to: today };
    case 'last-month':
      return { from: monthStart(today, -1), to: addDays(monthStart(today, 0), -1) };
    case 'last-12-months':
      return { from: monthStart(today, -11), to: today };
  }
}

/** The preset a period is at `now`, if it is one (the picker shows it as chosen). */
export function presetOf(range: DayRange, at: { timeZone: string; now: number }): Preset | undefined {
  return PRESETS.find(({ id }) => {
    const days = presetRange(id, at);
    return days.from === range.from && days.to === range.to;
  })?.id;
}

/**
 * The time zones to choose from: the browser's list (which leaves out `UTC`, every account's
 * default) with `UTC` first and the account's own zone kept even where the browser does not list it.
 */
export function timeZoneChoices(supported: readonly string[], current: string): string[] {
  const zones = new Set([current, ...supported]);
  zones.delete('UTC');
  return ['UTC', ...[...zones].sort()];
}
