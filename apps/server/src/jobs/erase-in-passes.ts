import { z } from 'zod';
import type { Context } from '../context.js';
import type { FileRemovals } from '../domain/erasure/after-erasure.js';
import { BatchSizer, MAX_CONVERSATIONS_PER_BATCH, splitIntoBatches } from '../domain/erasure/batches.js';
import { eraseConversations, type ErasureAudit } from '../domain/erasure/erase-conversations.js';
import {
  countMatchingConversations,
  findMatchingConversations,
  type ConversationMatch,
  type MatchedConversation,
} from '../storage/deletion-queries.js';
import type { ConversationRow } from '../storage/schema.js';
import type { JobRun } from './job.js';

const Totals = z.object({
  conversations: z.number().int(),
  messages: z.number().int(),
  attachments: z.number().int(),
  contacts: z.number().int(),
});

/**
 * Where a killed run resumes: the pass (round × status) and the position in it, the conversations
 * erased before the round began, what was erased so far (`totals`: each batch adds to them in its own
 * transaction) and the total counted at the start. Ids, times and counts only.
 */
export const ErasureCursor = z.object({
  pass: z.number().int().min(0),
  after: z.object({ createdAt: z.number() }).nullable(),
  roundStart: z.number().int(),
  total: z.number().int().nullable(),
  totals: Totals,
});
/** Where a killed run resumes. */
export type ErasureCursor = z.infer<typeof ErasureCursor>;

/** Rounds over the statuses at most: a round that erases nothing ends the passes earlier (see eraseInPasses). */
const MAX_ROUNDS = 4;
/** Every status, in the order the passes walk them: those still waiting or open end first. */
export const ALL_STATUSES: readonly ConversationRow['status'][] = ['waiting', 'open', 'closed'];

/** The cursor of a first run: nothing erased yet, and the total of what `match` matches now. */
export async function firstErasureCursor(ctx: Context, match: ConversationMatch): Promise<ErasureCursor> {
  return {
    pass: 0,
    after: null,
    roundStart: 0,
    total: await countMatchingConversations(ctx.database.db, match),
    totals: { conversations: 0, messages: 0, attachments: 0, contacts: 0 },
  };
}

/**
 * Erases the conversations `match` matches through eraseConversations, batch by batch, from `cursor`;
 * answers the cursor after the last batch. Each status is walked oldest first from a saved position
 * (findMatchingConversations), so a pass reads a row the match does not take about once, not at every
 * batch; since a conversation can change status meanwhile (an open one handed back to the queue), the
 * statuses are walked again until a round erases nothing. Each transaction of a batch saves the job's
 * progress, so a killed run resumes exactly after the last one that committed, with its totals; a
 * cancel stops it after the first transaction that commits after it. Progress counts conversations.
 */
export async function eraseInPasses<P>(
  ctx: Context,
  input: {
    job: JobRun<P>;
    accountId: string;
    match: ConversationMatch;
    statuses: readonly ConversationRow['status'][];
    cursor: ErasureCursor;
    /** The erasure records' reason, such as "bulk delete". */
    reason: string;
    audit: ErasureAudit;
    files: FileRemovals;
  },
): Promise<ErasureCursor> {
  const { job, accountId, match, statuses, audit, files } = input;
  let cursor = input.cursor;
  const sizer = new BatchSizer(ctx.database);
  for (; cursor.pass < MAX_ROUNDS * statuses.length; cursor = { ...cursor, pass: cursor.pass + 1, after: null }) {
    const status = statuses[cursor.pass % statuses.length];
    if (status === undefined) break;
    if (cursor.pass > 0 && cursor.pass % statuses.length === 0) {
      // A round found everything there was: nothing changed status behind its back.
      if (cursor.totals.conversations === cursor.roundStart) break;
      cursor = { ...cursor, roundStart: cursor.totals.conversations };
    }
    // The candidates read while the batch before was erased, from its last created_at without its ids.
    let upcoming: Promise<MatchedConversation[]> | undefined;
    for (;;) {
      // When they are none (or at the pass's start), a read from the saved position makes sure:
      // conversations of one created_at may outnumber a read.
      let candidates = upcoming === undefined ? [] : await upcoming;
      upcoming = undefined;
      if (candidates.length === 0) candidates = await readCandidates(ctx, { match, status, after: cursor.after });
      const batch = splitIntoBatches(candidates, sizer.maxMessages)[0] ?? [];
      const first = batch[0];
      const last = batch.at(-1);
      if (first === undefined || last === undefined) break;
      const ids = batch.map((c) => c.id);
      const erased = await eraseConversations(ctx, {
        accountId,
        conversationIds: ids,
        reason: input.reason,
        audit,
        scrub: false,
        files,
        progress: {
          job: job.holdForSave(),
          total: cursor.total,
          // Where each conversation of the batch still is, should only part of it commit (the batch
          // takes turns with the chats, in several transactions): those erased are gone from there.
          cursor: { ...cursor, after: { createdAt: first.createdAt } },
        },
        whileErasing: () => {
          upcoming = readCandidates(ctx, { match, status, after: { createdAt: last.createdAt }, skip: new Set(ids) });
          // Left unread when this batch fails: its own failure must not go unhandled.
          upcoming.catch(() => undefined);
        },
      });
      sizer.record(erased);
      if (erased.progress === undefined) throw new Error('An erasure batch did not save the progress asked for');
      cursor = ErasureCursor.parse(erased.progress.cursor);
      const update = { done: cursor.totals.conversations, total: cursor.total, cursor: JSON.stringify(cursor) };
      job.afterSave(update, erased.progress);
    }
  }
  return cursor;
}

/**
 * The conversations of a status from `after` (created then or later) that a batch may take, in their
 * order, but those of `skip` (the batch being erased): the read takes as many more.
 */
async function readCandidates(
  ctx: Context,
  input: {
    match: ConversationMatch;
    status: ConversationRow['status'];
    after: ErasureCursor['after'];
    skip?: ReadonlySet<string>;
  },
): Promise<MatchedConversation[]> {
  const { skip } = input;
  const candidates = await findMatchingConversations(ctx.database.db, {
    match: input.match,
    status: input.status,
    after: input.after ?? undefined,
    limit: MAX_CONVERSATIONS_PER_BATCH + (skip?.size ?? 0),
  });
  return skip === undefined ? candidates : candidates.filter((c) => !skip.has(c.id));
}
