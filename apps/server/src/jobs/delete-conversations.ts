import { DeletionFilter } from '@plauder/protocol';
import { z } from 'zod';
import { matchOf } from '../domain/deletions/deletion-filter.js';
import { FileRemovals, scrubErasedPages } from '../domain/erasure/after-erasure.js';
import { ALL_STATUSES, ErasureCursor, eraseInPasses, firstErasureCursor } from './erase-in-passes.js';
import { defineJob } from './job.js';
import { parseJobCursor } from './job-cursor.js';

/** A bulk delete: its filter, and who started it (the audit entries of its batches name them). */
const Payload = z
  .object({
    filter: DeletionFilter,
    startedBy: z.object({ kind: z.enum(['operator', 'api_token', 'cli']), id: z.string().nullable() }).strict(),
  })
  .strict();

/**
 * Erases the conversations of an account that a bulk delete's filter matches (domain/deletions) among
 * those created before the job was queued, through eraseInPasses: each status walked oldest first,
 * and again until a round erases nothing. A killed run resumes at its position; a cancel stops it
 * after the first transaction that commits after it. Progress counts conversations; the total is the
 * count at the start.
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
    const statuses = filter.status === undefined ? ALL_STATUSES : [filter.status];
    const cursor = parseJobCursor(ErasureCursor, job.cursor) ?? (await firstErasureCursor(ctx, match));
    const audit = { action: 'conversations.erased', actorKind: startedBy.kind, actorId: startedBy.id };
    let totals = cursor.totals;
    const files = new FileRemovals(ctx);
    try {
      const reached = await eraseInPasses(ctx, {
        job,
        accountId,
        match,
        statuses,
        cursor,
        reason: 'bulk delete',
        audit,
        files,
      });
      totals = reached.totals;
    } finally {
      await files.settled();
      // Once, at the end (a cancelled or failed run's too): the checkpoint pauses every write meanwhile,
      // chats' too, for as long as it copies the WAL.
      await scrubErasedPages(ctx);
    }
    return { ...totals };
  },
});
