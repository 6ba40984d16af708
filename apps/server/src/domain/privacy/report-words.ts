// How the privacy report words its figures: counts with their nouns, ages in hours or days.

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** `1 conversation`, `3 conversations`; `plural` when adding an s will not do. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** An age: `less than an hour`, whole hours below two days, whole days from then on. */
export function age(ms: number): string {
  if (ms < HOUR_MS) return 'less than an hour';
  if (ms < 2 * DAY_MS) return count(Math.floor(ms / HOUR_MS), 'hour');
  return count(Math.floor(ms / DAY_MS), 'day');
}

/** A limit in hours: `24 hours`. */
export function hours(ms: number): string {
  return count(ms / HOUR_MS, 'hour');
}

/** A UTC day, `2026-01-15`, for a time in epoch milliseconds. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The first `max` of `items`, joined, with how many more there are. */
export function firstOf(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
