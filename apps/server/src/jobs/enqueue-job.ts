import { randomUUID } from 'node:crypto';
import type { JobDto } from '@plauder/protocol';
import type { Context } from '../context.js';
import { findJob, insertJob } from '../storage/jobs-repository.js';
import type { Executor } from '../storage/schema.js';
import type { JobDefinition } from './job.js';
import { jobDto } from './job-dto.js';

/**
 * Queues a job to run as soon as a worker is free (on any node). The payload is checked against the
 * job's schema here too, so a bad one fails its caller and never reaches a worker. `db` lets the
 * caller enqueue inside its own transaction.
 */
export async function enqueueJob<P>(
  ctx: Context,
  input: { job: JobDefinition<P>; payload: P; accountId: string | null; total?: number | null; db?: Executor },
): Promise<JobDto> {
  const payload = input.job.payload.parse(input.payload);
  const db = input.db ?? ctx.database.db;
  const id = randomUUID();
  const now = ctx.clock.now();
  await insertJob(db, {
    id,
    name: input.job.name,
    payload: JSON.stringify(payload),
    accountId: input.accountId,
    runAt: now,
    now,
    total: input.total ?? null,
    unit: input.job.unit,
  });
  const row = await findJob(db, { id, accountId: null });
  if (!row) throw new Error(`The job ${id} was not found right after it was queued`);
  return jobDto(row);
}
