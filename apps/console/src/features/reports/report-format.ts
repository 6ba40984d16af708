/**
 * How the Reports page writes its numbers: a change against the period before, times, counts, the
 * heatmap's shades and the names of operators. Pure, so the rules are tested without a browser.
 */
import type { OperatorDto } from '@plauder/protocol';
import { utcMidnight } from './report-range.js';

/** Which way a figure is better: more answered chats are, a longer first response is not. */
export type Better = 'higher' | 'lower' | 'neither';

/** A change against the previous period, and whether it is good news, bad news or neither. */
export interface Change {
  text: string;
  tone: 'better' | 'worse' | 'neutral';
}

const MINUS = '\u2212';
const counts = new Intl.NumberFormat();
const decimals = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "previous day", "previous 30 days": the period a report compares with. */
export function previousPeriodText(days: number): string {
  return days === 1 ? 'previous day' : `previous ${counts.format(days)} days`;
}

/**
 * The change from `before` to `now` in percent, with its sign: "+12 %", "−0.3 %" (a decimal under
 * one, which would otherwise read as no change); undefined when there is no percentage to give
 * (nothing now or before, or nothing changed).
 */
export function percentText(now: number | null, before: number | null): string | undefined {
  if (now === null || before === null || before === 0 || now === before) return undefined;
  const percent = ((now - before) / Math.abs(before)) * 100;
  const size =
    Math.abs(percent) < 1 ? decimals.format(Math.abs(percent)) : counts.format(Math.round(Math.abs(percent)));
  return `${percent > 0 ? '+' : MINUS}${size} %`;
}

/**
 * A figure against the same figure of the previous period: "+12 % vs previous 30 days". A null is
 * nothing counted (an average without any case); a previous zero or null has no percentage, so the
 * text says there was none, and a figure that went away names what it was (`format` writes it).
 */
export function changeAgainst(
  current: number | null,
  previous: number | null,
  options: { days: number; better: Better; format: (value: number) => string },
): Change {
  const period = previousPeriodText(options.days);
  const neutral = (text: string): Change => ({ text, tone: 'neutral' });
  const none = (value: number | null) => value === null || value === 0;
  if (none(current) && none(previous)) {
    return neutral(
      current === null && previous === null ? `nothing to compare vs ${period}` : `no change vs ${period}`,
    );
  }
  if (previous === null || previous === 0) return neutral(`none in the ${period}`);
  if (current === null) return neutral(`${options.format(previous)} in the ${period}`);
  const percent = percentText(current, previous);
  if (percent === undefined) return neutral(`no change vs ${period}`);
  const text = `${percent} vs ${period}`;
  if (options.better === 'neither') return neutral(text);
  return { text, tone: current > previous === (options.better === 'higher') ? 'better' : 'worse' };
}

/** A whole number in the browser's language ("1,234"). */
export function countText(value: number): string {
  return counts.format(value);
}

/** An average to one decimal ("4.7"), or "–" for none. */
export function averageText(value: number | null): string {
  return value === null ? '–' : decimals.format(value);
}

/** A time in milliseconds as people say it: "0.4 s", "12 s", "2 min 5 s", "1 h 20 min"; "–" for none. */
export function durationText(ms: number | null): string {
  if (ms === null) return '–';
  const seconds = ms / 1000;
  if (seconds < 10) return `${decimals.format(Math.round(seconds * 10) / 10)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) {
    const rest = whole % 60;
    return `${Math.floor(whole / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  const minutes = Math.round(whole / 60);
  const rest = minutes % 60;
  return `${counts.format(Math.floor(minutes / 60))} h${rest ? ` ${rest} min` : ''}`;
}

const dayFormat = new Intl.DateTimeFormat([], { dateStyle: 'medium', timeZone: 'UTC' });

/** A `YYYY-MM-DD` day in the browser's language ("1 Mar 2026"); the day itself, not a moment in it. */
export function dayText(day: string): string {
  const at = utcMidnight(day);
  return Number.isNaN(at) ? day : dayFormat.format(at);
}

/** How many shades the heatmap has above zero. */
export const HEAT_LEVELS = 5;

/**
 * The shade of each cell of the busiest hours, 0 … HEAT_LEVELS, in proportion to the busiest cell:
 * 0 only for an hour without any conversation, so a quiet hour with one still shows.
 */
export function heatLevels(grid: readonly (readonly number[])[], levels = HEAT_LEVELS): number[][] {
  const most = Math.max(0, ...grid.flat());
  return grid.map((row) =>
    row.map((value) => (value <= 0 || most === 0 ? 0 : Math.max(1, Math.ceil((value / most) * levels)))),
  );
}

/** What an operator who was removed from the account is called: their name is no longer listed. */
export const REMOVED_OPERATOR = 'Removed operator';

/** An operator's name for a report's row, from the account's operators; removed ones by a neutral label. */
export function operatorLabel(operatorId: string, operators: readonly Pick<OperatorDto, 'id' | 'displayName'>[]) {
  return operators.find((operator) => operator.id === operatorId)?.displayName ?? REMOVED_OPERATOR;
}
