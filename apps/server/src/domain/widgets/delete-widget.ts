import type { JobDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { deleteWidgetJob, widgetMatch } from '../../jobs/delete-widget.js';
import { enqueueJob } from '../../jobs/enqueue-job.js';
import { jobDto } from '../../jobs/job-dto.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { countMatchingConversations } from '../../storage/deletion-queries.js';
import { listUnfinishedJobs, type JobRow } from '../../storage/jobs-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import type { Executor } from '../../storage/schema.js';
import {
  countWidgets,
  findWidgetBeingDeleted,
  findWidgetRecord,
  markWidgetDeleted,
} from '../../storage/widgets-repository.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';

/**
 * Deletes one of the account's widgets with everything of it (admin and up), as a `delete-widget`
 * job. At once, in one transaction, the widget is marked deleted: it leaves the list, its config and
 * window answer 404, a visitor session for it is refused as for an unknown key, and its visitors start
 * nothing new. The job then erases its conversations as a bulk delete does (keys destroyed, rows and
 * files deleted, rollups kept) and removes the widget's row. Asked again while that job is unfinished,
 * it answers the same job; after a job that failed for good, a new one. `last_widget` for the
 * account's only widget, `not_found` for an unknown id or another account's. Audited as
 * `widget.deletion-started` with the widget's and the job's ids, counting its conversations.
 */
export async function deleteWidget(ctx: Context, input: { by: Principal; widgetId: string }): Promise<JobDto> {
  const { by, widgetId } = input;
  requireRole(by, 'admin');
  const { accountId } = by;
  const actor = actorOf(by);
  // Counted before the transaction: on SQLite it holds the write lock, and chats wait for it.
  const conversations = await countMatchingConversations(ctx.database.db, widgetMatch({ accountId, widgetId }));
  return inTransaction(ctx.store, async (tx) => {
    // One widget change of the account at a time: two deletes cannot take away its last two widgets.
    await lockAccount(tx.db, accountId);
    if (!(await findWidgetRecord(tx.db, { accountId, widgetId }))) {
      if (!(await findWidgetBeingDeleted(tx.db, { accountId, widgetId }))) throw notFound('widget', widgetId);
      const unfinished = await findDeletionJob(tx.db, { accountId, widgetId });
      if (unfinished) return jobDto(unfinished);
    } else {
      if ((await countWidgets(tx.db, { accountId })) <= 1) {
        throw new AppError(
          'last_widget',
          'This is the only widget of the account; add another one before deleting it, or terminate the account to delete everything',
        );
      }
      await markWidgetDeleted(tx.db, { accountId, widgetId, now: ctx.clock.now() });
    }
    const job = await enqueueJob(ctx, {
      job: deleteWidgetJob,
      payload: { widgetId, startedBy: { kind: actor.actorKind, id: actor.actorId } },
      accountId,
      total: conversations,
      db: tx.db,
    });
    await insertAuditEntry(tx.db, {
      accountId,
      ...actor,
      action: 'widget.deletion-started',
      targetKind: 'widget',
      targetIds: [widgetId, job.id],
      count: conversations,
      at: ctx.clock.now(),
    });
    return job;
  });
}

/** The account's queued or running `delete-widget` job for this widget, if there is one. */
async function findDeletionJob(
  db: Executor,
  where: { accountId: string; widgetId: string },
): Promise<JobRow | undefined> {
  const jobs = await listUnfinishedJobs(db, { accountId: where.accountId, name: deleteWidgetJob.name });
  return jobs.find((job) => {
    try {
      return deleteWidgetJob.payload.safeParse(JSON.parse(job.payload)).data?.widgetId === where.widgetId;
    } catch {
      // Written by enqueueJob as JSON; a row edited by hand is not this widget's job.
      return false;
    }
  });
}
