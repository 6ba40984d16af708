import type { JobDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { jobDto } from '../../jobs/job-dto.js';
import { findJob } from '../../storage/jobs-repository.js';
import { notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/** One job of the caller's account with its progress (admin and up); another account's is not found. */
export async function getJob(ctx: Context, input: { by: Principal; jobId: string }): Promise<JobDto> {
  requireRole(input.by, 'admin');
  const row = await findJob(ctx.database.db, { id: input.jobId, accountId: input.by.accountId });
  if (!row) throw notFound('job', input.jobId);
  return jobDto(row);
}
