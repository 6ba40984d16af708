import { DeletionFilter } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../context.js';
import { matchOf } from '../domain/deletions/deletion-filter.js';
import { FileRemovals, scrubErasedPages } from '../domain/erasure/after-erasure.js';
import { BatchSizer, MAX_CONVERSATIONS_PER_BATCH, splitIntoBatches } from '../domain/erasure/batches.js';
import { eraseConversations, type ErasureAudit } from '../domain/erasure/erase-conversations.js';
import {
  countMatchingConversations,
  findMatchingConversations,
  type ConversationMatch,
  type MatchedConversation,
} from '../storage/deletion-queries.js';
import type { ConversationRow } from '../storage/schema.js';
import { defineJob, type JobRun } from './job.js';
import { parseJobCursor } from './job-cursor.js';

/** A bulk delete: its filter, and who started it (the audit entries of its batches name them). */
const Payload = z
  .object({
    filter: DeletionFilter,
    startedBy: z.object({ kind: z.enum(['operator', 'api_token', 'cli']), id: z.string().nullable() }).strict(),
  })
  .strict();

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
const Cursor = z.object({
  pass: z.number().int().min(0),
  after: z.object({ createdAt: z.number() }).nullable(),
  roundStart: z.number().int(),
  total: z.number().int().nullable(),
  totals: Totals,
});
type Cursor = z.infer<typeof Cursor>;

/** Rounds over the statuses at most: a round that erases nothing ends the job earlier (see run). */
const MAX_ROUNDS = 4;
const STATUSES: readonly ConversationRow['status'][] = ['waiting', 'open', 'closed'];

/**
 * Erases the conversations of an account that a bulk delete's filter matches (domain/deletions) among
 * those created before the job was queued, through eraseConversations, batch by batch. Each status is
 * walked oldest first from a saved position (findMatchingConversations), so a pass reads a row the
 * filter does not match about once, not at every batch; since a
 * conversation can change status while the job runs (an open one handed back to the queue), the
 * statuses are walked again until a round erases nothing. A killed run resumes at its position; a
 * cancel stops it after the first transaction that commits after it. Progress counts conversations; the
 * total is the count at the start.
 */
export const deleteConversationsJob = defineJob({
  name: 'delete-conversations',
  payload: Payload,
  unit: 'conversations',
  async run(ctx, job) {
    const accountId = job.accountId;
    if (accountId === null) throw new Error('A delete-conversations job needs an account');
    const { filter, startedBy } = job.payload;
    const match = matchOf({ accountId, filter, createdBefore: job.createdAt });
    const statuses = filter.status === undefined ? STATUSES : [filter.status];
    const cursor = parseJobCursor(Cursor, job.cursor) ?? {
      pass: 0,
      after: null,
      roundStart: 0,
      total: await countMatchingConversations(ctx.database.db, match),
      totals: { conversations: 0, messages: 0, attachments: 0, contacts: 0 },
    };
    const audit = { action: 'conversations.erased', actorKind: startedBy.kind, actorId: startedBy.id };
    let totals = cursor.totals;
    const files = new FileRemovals(ctx);
    try {
      totals = await eraseInPasses(ctx, { job, accountId, match, statuses, cursor, audit, files });
    } finally {
      await files.settled();
      // Once, at the end (a cancelled or failed run's too): the checkpoint pauses every write meanwhile,
      // chats' too, for as long as it copies the WAL.
      await scrubErasedPages(ctx);
    }
    return { ...totals };
  },
});

/**
 * The passes over the statuses (see the job), from `cursor`; answers the totals. Each transaction of a
 * batch saves the job's progress, so a killed run resumes exactly after the last one that committed,
 * with its totals.
 */
async function eraseInPasses(
  ctx: Context,
  input: {
    job: JobRun<z.infer<typeof Payload>>;
    accountId: string;
    match: ConversationMatch;
    statuses: readonly ConversationRow['status'][];
    cursor: Cursor;
    audit: ErasureAudit;
    files: FileRemovals;
  },
): Promise<Cursor['totals']> {
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
        reason: 'bulk delete',
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
      cursor = Cursor.parse(erased.progress.cursor);
      const update = { done: cursor.totals.conversations, total: cursor.total, cursor: JSON.stringify(cursor) };
      job.afterSave(update, erased.progress);
    }
  }
  return cursor.totals;
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
    after: Cursor['after'];
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
