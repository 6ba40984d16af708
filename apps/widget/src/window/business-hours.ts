import type { BusinessHours } from '@plauder/protocol';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * Whether `at` falls within the business hours, read in their time zone. A span whose close is not
 * after its open runs past midnight into the next day. No hours (null) means always open; an
 * unknown time zone counts as open, so a typo never hides the chat.
 */
export function isWithinBusinessHours(hours: BusinessHours | null, at: Date): boolean {
  if (!hours) return true;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: hours.timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(at);
  } catch {
    return true;
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.indexOf(part('weekday'));
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  const minutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
  return hours.spans.some((span) => {
    const open = minutes(span.open);
    const close = minutes(span.close);
    if (close > open) return span.day === day && minute >= open && minute < close;
    // Overnight: from `open` on its day until `close` on the next.
    return (span.day === day && minute >= open) || ((span.day + 1) % 7 === day && minute < close);
  });
}
