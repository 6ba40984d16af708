import type { DeletionFilter, JobDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { enqueueJob } from '../../jobs/enqueue-job.js';
import { deleteConversationsJob } from '../../jobs/delete-conversations.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { countMatchingConversations } from '../../storage/deletion-queries.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError } from '../errors.js';
import { actorOf, requireRole, type CliActor, type Principal } from '../principal.js';
import { checkDeletionFilter, idsOfFilter, matchOf } from './deletion-filter.js';

/**
 * Starts a bulk delete (admin and up): queues a `delete-conversations` job for the caller's account,
 * which erases the conversations the filter matches among those created before now, batch by batch
 * (conversations started meanwhile are safe). Its total is the number matched now; a filter that
 * matches nothing answers `nothing_to_delete` and starts nothing. An audit entry `deletion.started`
 * names the job and the filter's ids, in the job's transaction.
 */
export async function startDeletion(
  ctx: Context,
  input: { by: Principal | CliActor; filter: DeletionFilter },
): Promise<JobDto> {
  const { by, filter } = input;
  requireRole(by, 'admin');
  const { accountId } = by;
  await checkDeletionFilter(ctx, { accountId, filter });
  const actor = actorOf(by);
  // Counted before the transaction: on SQLite it holds the write lock, and chats wait for it.
  const matched = await countMatchingConversations(
    ctx.database.db,
    matchOf({ accountId, filter, createdBefore: ctx.clock.now() }),
  );
  if (matched === 0) {
    throw new AppError('nothing_to_delete', 'No conversation matches this filter; check it with a dry run first');
  }
  return inTransaction(ctx.store, async (tx) => {
    const now = ctx.clock.now();
    const job = await enqueueJob(ctx, {
      job: deleteConversationsJob,
      payload: { filter, startedBy: { kind: actor.actorKind, id: actor.actorId } },
      accountId,
      total: matched,
      db: tx.db,
    });
    await insertAuditEntry(tx.db, {
      accountId,
      ...actor,
      action: 'deletion.started',
      targetKind: 'job',
      targetIds: [job.id, ...idsOfFilter(filter)],
      count: matched,
      at: now,
    });
    return job;
  });
}
