/**
 * Where a moment falls in an account's own time zone: the local day, hour and weekday its reports
 * count it under. Every UTC offset in use since 1972 is a whole number of quarter hours (Nepal +05:45,
 * the Chatham Islands +12:45), so the local day and hour change only at a UTC quarter hour: one
 * conversion per zone and quarter hour serves every event in it.
 */
export interface LocalSlot {
  /** The local calendar day, `YYYY-MM-DD`. */
  day: string;
  /** The local hour, 0–23. On a day that springs forward one hour is missing; on one that falls back, one counts twice. */
  hour: number;
  /** The local weekday, 0 = Monday … 6 = Sunday (ISO 8601 order). */
  weekday: number;
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const formats = new Map<string, Intl.DateTimeFormat>();
const lastSlots = new Map<string, { quarter: number; slot: LocalSlot }>();

/** The IANA time zone's canonical name (`europe/berlin` → `Europe/Berlin`), or undefined when it is none. */
export function canonicalTimeZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch (error) {
    // The one error Intl throws for a zone it does not know; anything else is not ours to hide.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** The local day, hour and weekday of the epoch-milliseconds `at` in the IANA time zone `zone`. */
export function localSlot(zone: string, at: number): LocalSlot {
  const quarter = Math.floor(at / QUARTER_HOUR_MS);
  const last = lastSlots.get(zone);
  if (last?.quarter === quarter) return last.slot;
  const slot = computeSlot(zone, at);
  lastSlots.set(zone, { quarter, slot });
  return slot;
}

function computeSlot(zone: string, at: number): LocalSlot {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(zone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  const [year, month, day, hour] = [parts.year, parts.month, parts.day, parts.hour].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  // Date.UTC on the local calendar date: its UTC weekday is the local one. getUTCDay counts from Sunday.
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
  return { day: `${parts.year}-${parts.month}-${parts.day}`, hour, weekday };
}

/** The calendar day `days` after `day` (before, when negative); both `YYYY-MM-DD`. */
export function addDays(day: string, days: number): string {
  return new Date(dayStart(day) + days * DAY_MS).toISOString().slice(0, 10);
}

/** How many calendar days from `from` to `to`, both counted: 1 when they are the same day. */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayStart(to) - dayStart(from)) / DAY_MS) + 1;
}

/** The ISO weekday of a calendar day: 0 = Monday … 6 = Sunday. */
export function weekdayOf(day: string): number {
  return (new Date(dayStart(day)).getUTCDay() + 6) % 7;
}

/** Whether `day` is a real calendar day written `YYYY-MM-DD` (2026-02-30 is not). */
export function isCalendarDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  // Date.parse takes February's 30th and 31st and rolls them over into March; they must read back the same.
  const start = dayStart(day);
  return !Number.isNaN(start) && new Date(start).toISOString().slice(0, 10) === day;
}

function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}
