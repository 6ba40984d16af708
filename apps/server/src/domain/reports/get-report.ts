import { MAX_REPORT_DAYS, type ReportDto, type ReportQuery, type ReportTotalsDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { addDays, daysBetween, isCalendarDay, weekdayOf } from '../../storage/local-time.js';
import { getOperator } from '../../storage/operators-repository.js';
import {
  DURATION_HISTOGRAM,
  FIRST_RESPONSE_HISTOGRAM,
  histogramMetrics,
  quantileOf,
  type Histogram,
} from '../../storage/rollup-histograms.js';
import { EVENT_METRICS, hourlyMetric } from '../../storage/rollup-metrics.js';
import { sumRollupGroups, type RollupGroup } from '../../storage/rollup-sums.js';
import { findWidgetRecord } from '../../storage/widgets-repository.js';
import { AppError, notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/** The metrics of the daily series and the busiest hours. */
const DAILY_METRICS = [
  'conversations.started',
  'conversations.closed',
  'first_response.count',
  'conversations.missed',
  'offline_messages.received',
  ...Array.from({ length: 24 }, (_, hour) => hourlyMetric('conversations.started', hour)),
];

/** Sums of one period by metric: what the totals and an operator's row are computed from. */
type Sums = ReadonlyMap<string, number>;

/**
 * The report of the caller's account over local days `from`…`to` (both counted, in the account's
 * time zone), optionally for one widget or one operator, with the same numbers for the period of the
 * same length just before it (docs/REPORTS.md). Admins and up: the operators' table compares people.
 * Read from the rollups alone, so deleted transcripts change nothing. Throws `validation_failed` for a
 * day that is not one, a reversed period or one over five years, and `not_found` for a widget or an
 * operator that is not the account's.
 */
export async function getReport(ctx: Context, input: { by: Principal; query: ReportQuery }): Promise<ReportDto> {
  const { account, from, to, days, previous, filters } = await checkReportQuery(ctx, input);
  const db = ctx.database.db;
  const [current, before, daily] = await Promise.all([
    sumRollupGroups(db, { ...filters, fromDay: from, toDay: to }, { groupBy: ['operator'], metrics: EVENT_METRICS }),
    sumRollupGroups(db, { ...filters, fromDay: previous.from, toDay: previous.to }, { metrics: EVENT_METRICS }),
    sumRollupGroups(db, { ...filters, fromDay: from, toDay: to }, { groupBy: ['day'], metrics: DAILY_METRICS }),
  ]);
  const byOperator = filters.operatorId !== undefined;
  return {
    timeZone: account.time_zone,
    from,
    to,
    previous,
    widgetId: filters.widgetId ?? null,
    operatorId: filters.operatorId ?? null,
    totals: totalsOf(sumsOf(current), { byOperator }),
    previousTotals: totalsOf(sumsOf(before), { byOperator }),
    days: dailySeries(totalsByDay(daily, { from, days, byOperator })),
    busiestHours: busiestHours(daily),
    operators: operatorRows(current),
  };
}

/** One day's row of a report's table: every number of the report, for that day alone. */
export interface ReportDay {
  day: string;
  totals: ReportTotalsDto;
}

/**
 * The report's numbers day by day over its period, every day of it in order (getReport's checks and
 * errors), for a table such as the CSV download.
 */
export async function getReportDays(ctx: Context, input: { by: Principal; query: ReportQuery }): Promise<ReportDay[]> {
  const { from, to, days, filters } = await checkReportQuery(ctx, input);
  const daily = await sumRollupGroups(ctx.database.db, { ...filters, fromDay: from, toDay: to }, { groupBy: ['day'] });
  return totalsByDay(daily, { from, days, byOperator: filters.operatorId !== undefined });
}

/** The report's operators' table alone (getReport's checks and errors). */
export async function getReportOperators(
  ctx: Context,
  input: { by: Principal; query: ReportQuery },
): Promise<ReportDto['operators']> {
  const { from, to, filters } = await checkReportQuery(ctx, input);
  return operatorRows(
    await sumRollupGroups(ctx.database.db, { ...filters, fromDay: from, toDay: to }, { groupBy: ['operator'] }),
  );
}

/** Checks a report's query (getReport): the account, the period, the one before, and the filters. */
async function checkReportQuery(ctx: Context, input: { by: Principal; query: ReportQuery }) {
  requireRole(input.by, 'admin');
  const { accountId } = input.by;
  const { from, to, widgetId, operatorId } = input.query;
  for (const [name, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isCalendarDay(day)) {
      throw new AppError('validation_failed', `Invalid ${name}: ${JSON.stringify(day)} is no day; send YYYY-MM-DD`);
    }
  }
  if (from > to) throw new AppError('validation_failed', `The period is reversed: from ${from} is after to ${to}`);
  const days = daysBetween(from, to);
  if (days > MAX_REPORT_DAYS) {
    throw new AppError(
      'validation_failed',
      `The period has ${days} days; a report covers ${MAX_REPORT_DAYS} at most (five years)`,
    );
  }
  const db = ctx.database.db;
  const account = await findAccount(db, accountId);
  if (!account) throw new AppError('unauthenticated', 'This account no longer exists');
  if (widgetId !== undefined && !(await findWidgetRecord(db, { accountId, widgetId }))) {
    throw notFound('widget', widgetId);
  }
  if (operatorId !== undefined && !(await getOperator(ctx.store, { accountId, operatorId }))) {
    throw notFound('operator', operatorId);
  }
  const previous = { from: addDays(from, -days), to: addDays(from, -1) };
  const filters: { accountId: string; widgetId?: string; operatorId?: string } = {
    accountId,
    ...(widgetId === undefined ? {} : { widgetId }),
    ...(operatorId === undefined ? {} : { operatorId }),
  };
  return { account, from, to, days, previous, filters };
}

/** The sums of groups by metric, added up. */
function sumsOf(groups: readonly RollupGroup[]): Sums {
  if (groups.length === 1) return (groups[0] as RollupGroup).sums;
  const sums = new Map<string, number>();
  for (const group of groups) {
    for (const [metric, value] of group.sums) sums.set(metric, (sums.get(metric) ?? 0) + value);
  }
  return sums;
}

function totalsOf(sums: Sums, options: { byOperator: boolean }): ReportTotalsDto {
  const get = (metric: string) => sums.get(metric) ?? 0;
  const closed = get('conversations.closed');
  // Starts are nobody's: an operator's conversations are those they closed.
  const total = options.byOperator ? closed : get('conversations.started');
  const messages = { visitor: get('messages.visitor'), operator: get('messages.operator') };
  const rated = get('ratings.count');
  return {
    conversations: {
      total,
      answered: get('first_response.count'),
      missed: get('conversations.missed'),
      offline: get('offline_messages.received'),
      closed,
    },
    firstResponse: timeSummaryOf(sums, {
      count: get('first_response.count'),
      totalMs: 'first_response.total_ms',
      histogram: FIRST_RESPONSE_HISTOGRAM,
    }),
    duration: timeSummaryOf(sums, { count: closed, totalMs: 'duration.total_ms', histogram: DURATION_HISTOGRAM }),
    messages: { ...messages, perConversation: ratio(messages.visitor + messages.operator, total) },
    ratings: {
      count: rated,
      average: ratio(get('ratings.sum'), rated),
      distribution: [1, 2, 3, 4, 5].map((rating) => get(`ratings.r${rating}`)),
    },
  };
}

/** A time's average from its total, and its median and 90th percentile from its histogram. */
function timeSummaryOf(
  sums: Sums,
  time: { count: number; totalMs: string; histogram: Histogram },
): ReportTotalsDto['firstResponse'] {
  const buckets = histogramMetrics(time.histogram).map((metric) => sums.get(metric) ?? 0);
  return {
    count: time.count,
    averageMs: ratio(sums.get(time.totalMs) ?? 0, time.count),
    medianMs: quantileOf(time.histogram, buckets, 0.5) ?? null,
    p90Ms: quantileOf(time.histogram, buckets, 0.9) ?? null,
  };
}

/** Every day of the period in order, with the totals of its rollups (`rows` grouped by day). */
function totalsByDay(
  groups: readonly RollupGroup[],
  options: { from: string; days: number; byOperator: boolean },
): ReportDay[] {
  const byDay = new Map(groups.map((group) => [group.day, group.sums]));
  return Array.from({ length: options.days }, (_, index) => {
    const day = addDays(options.from, index);
    return { day, totals: totalsOf(byDay.get(day) ?? new Map(), { byOperator: options.byOperator }) };
  });
}

/** The report's daily series: a few of each day's totals. */
function dailySeries(days: readonly ReportDay[]): ReportDto['days'] {
  return days.map(({ day, totals: { conversations } }) => ({
    day,
    conversations: conversations.total,
    answered: conversations.answered,
    missed: conversations.missed,
    offline: conversations.offline,
  }));
}

function busiestHours(days: readonly RollupGroup[]): number[][] {
  const grid = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const { day, sums } of days) {
    if (day === undefined) continue;
    const weekday = grid[weekdayOf(day)] as number[];
    for (let hour = 0; hour < 24; hour++) {
      weekday[hour] = (weekday[hour] as number) + (sums.get(hourlyMetric('conversations.started', hour)) ?? 0);
    }
  }
  return grid;
}

function operatorRows(groups: readonly RollupGroup[]): ReportDto['operators'] {
  const operators = groups.flatMap(({ operatorId, sums }) => {
    if (!operatorId) return [];
    const totals = totalsOf(sums, { byOperator: true });
    return [
      {
        operatorId,
        conversations: totals.conversations.closed,
        messages: totals.messages.operator,
        firstResponse: totals.firstResponse,
        duration: totals.duration,
        ratings: { count: totals.ratings.count, average: totals.ratings.average },
      },
    ];
  });
  // The busiest first; ids break ties, so that the order is the same each time.
  return operators.sort((a, b) => b.conversations - a.conversations || (a.operatorId < b.operatorId ? -1 : 1));
}

/** `sum / count`, or null when nothing was counted. */
function ratio(sum: number, count: number): number | null {
  return count === 0 ? null : sum / count;
}
