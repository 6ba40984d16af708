import { JobDto, JobList } from '@plauder/protocol';
import { z } from 'zod';
import type { Context } from '../../context.js';
import { cancelJob } from '../../domain/jobs/cancel-job.js';
import { getJob } from '../../domain/jobs/get-job.js';
import { listJobs } from '../../domain/jobs/list-jobs.js';
import { principalOf } from '../auth.js';
import type { App } from '../server.js';
import { IdParams } from './schemas.js';

const JobQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

/** The account's jobs (bulk deletes and the like): progress, and cancel. Admins and owners. */
export function jobRoutes(app: App, ctx: Context): void {
  app.get(
    '/api/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: "The account's newest jobs with their progress",
        querystring: JobQuery,
        response: { 200: JobList },
      },
    },
    async (request) => listJobs(ctx, { by: principalOf(request), limit: request.query.limit }),
  );
  app.get(
    '/api/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A job with its progress, and its counts once finished',
        params: IdParams,
        response: { 200: JobDto },
      },
    },
    async (request) => getJob(ctx, { by: principalOf(request), jobId: request.params.id }),
  );
  app.post(
    '/api/v1/jobs/:id/cancel',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancels a job: a queued one at once, a running one after its current batch',
        params: IdParams,
        response: { 200: JobDto },
      },
    },
    async (request) => cancelJob(ctx, { by: principalOf(request), jobId: request.params.id }),
  );
}
