import type { AccountFunctionDto, PrivacyReportLineDto, SubProcessorDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { sweepRetentionJob } from '../../jobs/sweep-retention.js';
import { selectEgressRefusals } from '../../storage/egress-repository.js';
import { lastDoneAt } from '../../storage/jobs-repository.js';
import { countExpiredConversations, selectStoredVisitorIps } from '../../storage/retention-repository.js';
import { retentionCutoff } from '../retention/sweep-retention.js';
import { age, count, firstOf, hours, utcDay } from './report-words.js';

/**
 * How long ago a retention sweep must have finished for the retention line to hold. The sweep runs
 * every hour; a day without one that finished means the worker is down or the sweep fails each time.
 * A day and an hour, not two hours: a first sweep over a large backlog may run for hours.
 */
export const SWEEP_OVERDUE_AFTER_MS = 25 * 60 * 60 * 1000;

/**
 * The oldest a stored visitor IP may be: promise P3, "gone within 24 hours". It expires 23 hours after
 * collection (VISITOR_IP_TTL_MS) and `purge-ip-addresses`, every 15 minutes, removes it after that.
 */
export const STORED_IP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The days of refused outbound calls the report counts, today included. */
export const EGRESS_REPORT_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The account's sub-processors: the optional functions that run for it, with whom each sends to. */
export function subProcessorsOf(functions: readonly AccountFunctionDto[]): SubProcessorDto[] {
  return functions.filter((fn) => fn.active).map((fn) => ({ function: fn.function, title: fn.title, ...fn.processor }));
}

/**
 * The generated sub-processor list as a line (P9): what runs and whom it sends to. Holds when every
 * function that runs is in the account's plan and set up on the installation.
 */
export function processorsLine(functions: readonly AccountFunctionDto[]): PrivacyReportLineDto {
  const running = functions.filter((fn) => fn.active);
  const astray = running.filter((fn) => !(fn.inPlan && fn.configured));
  const each = running.map(
    (fn) =>
      `${fn.title} sends to ${fn.processor.provider} (${fn.processor.country}): ${fn.processor.dataCategories.join('; ')}`,
  );
  const detail =
    running.length === 0
      ? 'No optional function runs: no sub-processor receives data'
      : astray.length > 0
        ? `${firstOf(astray.map((fn) => fn.title))} run${astray.length === 1 ? 's' : ''} outside the plan or the set-up. ${each.join('. ')}`
        : `${count(running.length, 'optional function')} run${running.length === 1 ? 's' : ''}. ${each.join('. ')}`;
  return { id: 'processors', title: 'Sub-processors', holds: astray.length === 0, detail };
}

/**
 * The account's retention window (P6) against its real rows: holds when no conversation is past the
 * window (as the sweep judges age) and a retention sweep finished within SWEEP_OVERDUE_AFTER_MS.
 */
export async function retentionLine(
  ctx: Context,
  input: { accountId: string; retentionMonths: number },
): Promise<PrivacyReportLineDto> {
  const now = ctx.clock.now();
  const { db } = ctx.database;
  const cutoff = retentionCutoff({ now, months: input.retentionMonths });
  const overdue = await countExpiredConversations(db, { accountId: input.accountId, cutoff });
  const sweptAt = await lastDoneAt(db, { name: sweepRetentionJob.name });
  const swept = sweptAt !== undefined && now - sweptAt <= SWEEP_OVERDUE_AFTER_MS;
  const window = `Transcripts are kept ${count(input.retentionMonths, 'month')}`;
  const rows =
    overdue === 0
      ? 'no conversation is past the window'
      : `${count(overdue, 'conversation is', 'conversations are')} past the window and still stored`;
  const sweep =
    sweptAt === undefined
      ? 'no retention sweep has finished yet (it runs every hour)'
      : swept
        ? `the retention sweep last finished ${age(now - sweptAt)} ago`
        : `the retention sweep last finished ${age(now - sweptAt)} ago, over the limit of ${hours(SWEEP_OVERDUE_AFTER_MS)}`;
  return {
    id: 'retention',
    title: 'Retention window',
    holds: overdue === 0 && swept,
    detail: `${window}; ${rows}; ${sweep}`,
  };
}

/** The account's oldest stored visitor IP (P3), by its age only, never the address: holds below STORED_IP_MAX_AGE_MS. */
export async function visitorIpLine(ctx: Context, input: { accountId: string }): Promise<PrivacyReportLineDto> {
  const now = ctx.clock.now();
  const stored = await selectStoredVisitorIps(ctx.database.db, {
    accountId: input.accountId,
    collectedBefore: now - STORED_IP_MAX_AGE_MS,
  });
  const line = (holds: boolean, detail: string) => ({ id: 'visitor-ip', title: 'Stored visitor IPs', holds, detail });
  if (stored.oldestCollectedAt === undefined) return line(true, 'No visitor IP is stored');
  const limit = hours(STORED_IP_MAX_AGE_MS);
  const oldest = `the oldest is ${age(now - stored.oldestCollectedAt)} old`;
  const kept = `${count(stored.count, 'visitor IP')} stored`;
  return stored.olderCount === 0
    ? line(true, `${kept}; ${oldest} (limit ${limit})`)
    : line(false, `${kept}; ${count(stored.olderCount, 'is', 'are')} older than ${limit}, ${oldest}`);
}

/**
 * The account's outbound calls the egress guard refused (P9) in the last EGRESS_REPORT_DAYS days, by
 * host and function. Informational: every refusal is counted as it happens, so it holds whenever the
 * counts can be read.
 */
export async function egressLine(ctx: Context, input: { accountId: string }): Promise<PrivacyReportLineDto> {
  const since = utcDay(ctx.clock.now() - (EGRESS_REPORT_DAYS - 1) * DAY_MS);
  const rows = await selectEgressRefusals(ctx.database.db, { accountId: input.accountId, since });
  const byTarget = new Map<string, number>();
  for (const row of rows) {
    const target = `${row.host} (${row.fn})`;
    byTarget.set(target, (byTarget.get(target) ?? 0) + row.count);
  }
  const total = rows.reduce((sum, row) => sum + row.count, 0);
  const days = `in the last ${EGRESS_REPORT_DAYS} days`;
  const targets = [...byTarget].sort((a, b) => b[1] - a[1]).map(([target, n]) => `${n} to ${target}`);
  return {
    id: 'egress',
    title: 'Refused outbound calls',
    holds: true,
    detail: total === 0 ? `0 refused calls ${days}` : `${count(total, 'refused call')} ${days}: ${firstOf(targets)}`,
  };
}
