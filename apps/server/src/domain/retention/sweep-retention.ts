import type { Context } from '../../context.js';
import {
  countExpiredConversations,
  deleteIdleVisitors,
  findExpiredConversations,
  listAccountRetention,
} from '../../storage/retention-repository.js';
import { FileRemovals, scrubErasedPages } from '../erasure/after-erasure.js';
import { BatchSizer, MAX_CONVERSATIONS_PER_BATCH, splitIntoBatches } from '../erasure/batches.js';
import { eraseConversations } from '../erasure/erase-conversations.js';

/** What a retention sweep erased, in all. */
export interface RetentionTotals {
  /** Accounts that had conversations past their window. */
  accounts: number;
  conversations: number;
  messages: number;
  attachments: number;
  contacts: number;
  /** Visitors without a conversation, last seen before the window: they held nothing else. */
  visitors: number;
}

/** Where a sweep is: the account it works on, what it erased so far, and the total counted at its start. */
export interface RetentionPosition {
  accountId: string | null;
  total: number;
  totals: RetentionTotals;
}

/** Idle visitors one statement deletes at most. */
const VISITORS_PER_BATCH = 1000;

/**
 * The start of an account's retention window: `now` minus `months` calendar months in UTC, the time of
 * day kept. A day the target month lacks becomes its last day: March 31 minus one month is February 28
 * (29 in a leap year).
 */
export function retentionCutoff(input: { now: number; months: number }): number {
  const at = new Date(input.now);
  // Date.UTC carries a negative or overflowing month into the year.
  const month = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - input.months, 1));
  const year = month.getUTCFullYear();
  const lastDay = new Date(Date.UTC(year, month.getUTCMonth() + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month.getUTCMonth(),
    Math.min(at.getUTCDate(), lastDay),
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
    at.getUTCMilliseconds(),
  );
}

/**
 * Erases, in every account, the conversations past the account's retention window (P6): a closed
 * one whose `closed_at` is before the window's start (retentionCutoff), one left waiting or open whose
 * `updated_at` is. They go through eraseConversations with the reason "retention" (messages,
 * attachments, personal fields and keys; contacts and visitors left with nothing go too; one still
 * waiting or open ends first, as the system, uncounted), batch by batch; the rollups stay exactly as
 * they were (P6).
 * Visitors that never had a conversation go once last seen before the window's start.
 * `onBatch` runs after each committed batch (the job saves its progress there, and may stop the sweep
 * by throwing); `resume` continues a killed sweep at its account, whose query finds what is left.
 */
export async function sweepRetention(
  ctx: Context,
  input: { resume?: RetentionPosition; onBatch?: (position: RetentionPosition) => Promise<void> } = {},
): Promise<RetentionTotals> {
  const now = ctx.clock.now();
  const { db } = ctx.database;
  const accounts = await listAccountRetention(
    db,
    input.resume?.accountId ? { fromAccountId: input.resume.accountId } : {},
  );
  const position: RetentionPosition = input.resume ?? {
    accountId: null,
    total: await countAll(ctx, { accounts, now }),
    totals: { accounts: 0, conversations: 0, messages: 0, attachments: 0, contacts: 0, visitors: 0 },
  };
  // The batches run, so that a sweep that fails still scrubs what it erased.
  const erased = { batches: 0 };
  const files = new FileRemovals(ctx);
  try {
    await eraseExpired(ctx, {
      accounts,
      now,
      position,
      erased,
      files,
      ...(input.onBatch ? { onBatch: input.onBatch } : {}),
    });
  } catch (error) {
    await files.settled();
    // The sweep's own error is the answer, whether this scrub works or not.
    if (erased.batches > 0) {
      await scrubErasedPages(ctx).catch((scrubError: unknown) =>
        ctx.logger.error({ err: scrubError }, 'The WAL could not be checkpointed after a failed retention sweep'),
      );
    }
    throw error;
  }
  await files.settled();
  // Once, at the end: the checkpoint pauses every write meanwhile, chats' too, for as long as it copies
  // the WAL.
  if (erased.batches > 0) await scrubErasedPages(ctx);
  return { ...position.totals };
}

/** The batches of sweepRetention, account by account, from `position`, which they advance. */
async function eraseExpired(
  ctx: Context,
  input: {
    accounts: { accountId: string; retentionMonths: number }[];
    now: number;
    position: RetentionPosition;
    erased: { batches: number };
    files: FileRemovals;
    onBatch?: (position: RetentionPosition) => Promise<void>;
  },
): Promise<void> {
  const { db } = ctx.database;
  const { position } = input;
  const { totals } = position;
  const audit = { action: 'conversations.expired', actorKind: 'system', actorId: null } as const;
  const sizer = new BatchSizer(ctx.database);
  for (const { accountId, retentionMonths } of input.accounts) {
    const cutoff = retentionCutoff({ now: input.now, months: retentionMonths });
    // A resumed sweep counted its account already, when it erased there first.
    let counted = position.accountId === accountId;
    position.accountId = accountId;
    for (;;) {
      const expired = await findExpiredConversations(db, { accountId, cutoff, limit: MAX_CONVERSATIONS_PER_BATCH });
      const batch = splitIntoBatches(expired, sizer.maxMessages)[0];
      if (batch === undefined) break;
      // Counted before it runs: a batch that fails after some of its transactions committed is
      // scrubbed too.
      input.erased.batches += 1;
      const erased = await eraseConversations(ctx, {
        accountId,
        conversationIds: batch.map((c) => c.id),
        reason: 'retention',
        audit,
        scrub: false,
        files: input.files,
      });
      // Found but erased meanwhile by someone else; whatever is left, the next sweep finds. Never loops.
      if (erased.conversations === 0) break;
      sizer.record(erased);
      if (!counted) {
        totals.accounts += 1;
        counted = true;
      }
      totals.conversations += erased.conversations;
      totals.messages += erased.messages;
      totals.attachments += erased.attachments;
      totals.contacts += erased.contacts;
      totals.visitors += erased.visitors;
      await input.onBatch?.(position);
    }
    for (;;) {
      const visitors = await deleteIdleVisitors(db, { accountId, cutoff, limit: VISITORS_PER_BATCH });
      totals.visitors += visitors;
      if (visitors < VISITORS_PER_BATCH) break;
    }
  }
}

/** How many conversations are past their window in all the accounts: the sweep's total. */
async function countAll(
  ctx: Context,
  input: { accounts: { accountId: string; retentionMonths: number }[]; now: number },
): Promise<number> {
  let total = 0;
  for (const { accountId, retentionMonths } of input.accounts) {
    const cutoff = retentionCutoff({ now: input.now, months: retentionMonths });
    total += await countExpiredConversations(ctx.database.db, { accountId, cutoff });
  }
  return total;
}
