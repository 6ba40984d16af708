import { MAX_REPORT_DAYS, type ReportDto, type ReportQuery, type ReportTotalsDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { findAccount } from '../../storage/accounts-repository.js';
import { addDays, daysBetween, isCalendarDay, weekdayOf } from '../../storage/local-time.js';
import { getOperator } from '../../storage/operators-repository.js';
import { FIRST_RESPONSE_HISTOGRAM, quantileOf } from '../../storage/rollup-histograms.js';
import { hourlyMetric, sumRollups, type RollupSum } from '../../storage/rollups-repository.js';
import { findWidgetRecord } from '../../storage/widgets-repository.js';
import { AppError, notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

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
    sumRollups(db, { ...filters, fromDay: from, toDay: to, groupBy: ['operator'] }),
    sumRollups(db, { ...filters, fromDay: previous.from, toDay: previous.to }),
    sumRollups(db, { ...filters, fromDay: from, toDay: to, groupBy: ['day'] }),
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
  const daily = await sumRollups(ctx.database.db, { ...filters, fromDay: from, toDay: to, groupBy: ['day'] });
  return totalsByDay(daily, { from, days, byOperator: filters.operatorId !== undefined });
}

/** The report's operators' table alone (getReport's checks and errors). */
export async function getReportOperators(
  ctx: Context,
  input: { by: Principal; query: ReportQuery },
): Promise<ReportDto['operators']> {
  const { from, to, filters } = await checkReportQuery(ctx, input);
  return operatorRows(
    await sumRollups(ctx.database.db, { ...filters, fromDay: from, toDay: to, groupBy: ['operator'] }),
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

/** The sums by metric, over every other grouping. */
function sumsOf(rows: readonly RollupSum[]): Sums {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(row.metric, (sums.get(row.metric) ?? 0) + row.value);
  return sums;
}

/** Rows grouped by day (and metric): the sums of each day by metric. */
function sumsByDay(rows: readonly RollupSum[]): Map<string, Map<string, number>> {
  const byDay = new Map<string, Map<string, number>>();
  for (const row of rows) {
    if (row.day === undefined) continue;
    const sums = byDay.get(row.day) ?? new Map<string, number>();
    sums.set(row.metric, row.value);
    byDay.set(row.day, sums);
  }
  return byDay;
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
    firstResponse: firstResponseOf(sums),
    duration: { count: closed, averageMs: ratio(get('duration.total_ms'), closed), medianMs: null, p90Ms: null },
    messages: { ...messages, perConversation: ratio(messages.visitor + messages.operator, total) },
    ratings: {
      count: rated,
      average: ratio(get('ratings.sum'), rated),
      distribution: [1, 2, 3, 4, 5].map((rating) => get(`ratings.r${rating}`)),
    },
  };
}

function firstResponseOf(sums: Sums): ReportTotalsDto['firstResponse'] {
  const count = sums.get('first_response.count') ?? 0;
  const buckets = Array.from(
    { length: FIRST_RESPONSE_HISTOGRAM.boundsMs.length + 1 },
    (_, index) => sums.get(FIRST_RESPONSE_HISTOGRAM.metric(index)) ?? 0,
  );
  return {
    count,
    averageMs: ratio(sums.get('first_response.total_ms') ?? 0, count),
    medianMs: quantileOf(FIRST_RESPONSE_HISTOGRAM, buckets, 0.5) ?? null,
    p90Ms: quantileOf(FIRST_RESPONSE_HISTOGRAM, buckets, 0.9) ?? null,
  };
}

/** Every day of the period in order, with the totals of its rollups (`rows` grouped by day). */
function totalsByDay(
  rows: readonly RollupSum[],
  options: { from: string; days: number; byOperator: boolean },
): ReportDay[] {
  const byDay = sumsByDay(rows);
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

function busiestHours(rows: readonly RollupSum[]): number[][] {
  const grid = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const hours = new Map(Array.from({ length: 24 }, (_, hour) => [hourlyMetric('conversations.started', hour), hour]));
  for (const row of rows) {
    const hour = hours.get(row.metric);
    if (hour === undefined || row.day === undefined) continue;
    const weekday = grid[weekdayOf(row.day)] as number[];
    weekday[hour] = (weekday[hour] ?? 0) + row.value;
  }
  return grid;
}

function operatorRows(rows: readonly RollupSum[]): ReportDto['operators'] {
  const byOperator = new Map<string, RollupSum[]>();
  for (const row of rows) {
    if (!row.operatorId) continue;
    const own = byOperator.get(row.operatorId);
    if (own) own.push(row);
    else byOperator.set(row.operatorId, [row]);
  }
  const operators = [...byOperator.entries()].map(([operatorId, own]) => {
    const totals = totalsOf(sumsOf(own), { byOperator: true });
    return {
      operatorId,
      conversations: totals.conversations.closed,
      messages: totals.messages.operator,
      firstResponse: totals.firstResponse,
      duration: totals.duration,
      ratings: { count: totals.ratings.count, average: totals.ratings.average },
    };
  });
  // The busiest first; ids break ties, so that the order is the same each time.
  return operators.sort((a, b) => b.conversations - a.conversations || (a.operatorId < b.operatorId ? -1 : 1));
}

/** `sum / count`, or null when nothing was counted. */
function ratio(sum: number, count: number): number | null {
  return count === 0 ? null : sum / count;
}
