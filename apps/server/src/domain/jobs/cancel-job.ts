import type { JobDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { jobDto } from '../../jobs/job-dto.js';
import { jobDefinitions } from '../../jobs/registry.js';
import { findJob, requestCancel } from '../../storage/jobs-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';

/**
 * Cancels a job: a queued one at once, a running one at its next batch (a bulk delete at its next
 * transaction; what it finished stays done: every transaction is whole). The account's admins cancel its jobs; the command line (no principal) cancels
 * any. `job_finished` (a protocol code) for a job that is done, failed or cancelled already, and for a
 * running one still stopping after an earlier cancel; the message says which. `conflict` for an
 * unfinished job that must finish once started (a widget's deletion), changing nothing.
 */
export async function cancelJob(ctx: Context, input: { by: Principal | null; jobId: string }): Promise<JobDto> {
  const { by, jobId } = input;
  if (by) requireRole(by, 'admin');
  const now = ctx.clock.now();
  const accountId = by?.accountId ?? null;
  const found = await findJob(ctx.database.db, { id: jobId, accountId });
  if (!found) throw notFound('job', jobId);
  const unfinished = found.status === 'queued' || found.status === 'running';
  if (unfinished && jobDefinitions.find((definition) => definition.name === found.name)?.cancellable === false) {
    throw new AppError(
      'conflict',
      `The job ${jobId} (${found.name}) cannot be cancelled: what it deletes is gone for everyone already, and it runs to its end`,
    );
  }
  const outcome = await requestCancel(ctx.database.db, { id: jobId, accountId, now });
  if (!outcome) throw notFound('job', jobId);
  const { row } = outcome;
  if (!outcome.changed) {
    throw new AppError(
      'job_finished',
      row.status === 'running'
        ? `The job ${jobId} is stopping already: a cancel was asked for before`
        : `The job ${jobId} has ${row.status === 'done' ? 'finished' : row.status} already; there is nothing to cancel`,
    );
  }
  await insertAuditEntry(ctx.database.db, {
    accountId: row.account_id,
    ...(by ? actorOf(by) : { actorKind: 'cli', actorId: null }),
    action: 'job.cancelled',
    targetKind: 'job',
    targetIds: [jobId],
    count: row.progress_done,
    at: now,
  });
  return jobDto(row);
}
