import type { JobList } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { jobDto } from '../../jobs/job-dto.js';
import { listJobs as selectJobs } from '../../storage/jobs-repository.js';
import { requireRole, type Principal } from '../principal.js';

/** The newest jobs of the caller's account (admin and up): bulk deletes and the like, with progress. */
export async function listJobs(ctx: Context, input: { by: Principal; limit: number }): Promise<JobList> {
  requireRole(input.by, 'admin');
  const rows = await selectJobs(ctx.database.db, { accountId: input.by.accountId, limit: input.limit });
  return { jobs: rows.map(jobDto) };
}
