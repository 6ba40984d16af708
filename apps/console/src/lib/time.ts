/**
 * Times as the console writes them, in the browser's language. The formatters are made once: a
 * `toLocaleTimeString` with options builds a new one per call, which cost a 2,000-message transcript
 * about 250 ms (bench/README.md, console).
 */
const hourMinute = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const dayMonth = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
const date = new Intl.DateTimeFormat([], { dateStyle: 'short' });

function isToday(at: Date): boolean {
  const now = new Date();
  return at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
}

/** A list's time: the hour today, the day before. */
export function shortTime(at: number): string {
  const when = new Date(at);
  return isToday(when) ? hourMinute.format(when) : dayMonth.format(when);
}

/** A message's time: the hour today, date and hour before. */
export function clock(at: number): string {
  const when = new Date(at);
  return isToday(when) ? hourMinute.format(when) : `${date.format(when)} ${hourMinute.format(when)}`;
}

const longDay = new Intl.DateTimeFormat([], { dateStyle: 'long' });

/** A day in words ("12 March 2025"), or "an unknown day" for a time the server did not give. */
export function longDate(at: number | null): string {
  return at === null ? 'an unknown day' : longDay.format(new Date(at));
}
