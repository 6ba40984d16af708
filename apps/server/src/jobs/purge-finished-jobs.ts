import { z } from 'zod';
import { deleteFinishedJobs } from '../storage/jobs-repository.js';
import { defineJob } from './job.js';

/** Finished jobs are kept this long for their progress and summary to be read, then deleted. */
export const FINISHED_JOB_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const BATCH = 1000;

/** Deletes the records of jobs that finished more than 30 days ago, daily. */
export const purgeFinishedJobsJob = defineJob({
  name: 'purge-finished-jobs',
  payload: z.object({}),
  schedule: '41 3 * * *',
  unit: 'jobs',
  async run(ctx, job) {
    const before = ctx.clock.now() - FINISHED_JOB_RETENTION_MS;
    let deleted = 0;
    for (;;) {
      const n = await deleteFinishedJobs(ctx.database.db, { before, limit: BATCH });
      deleted += n;
      if (n < BATCH) break;
      await job.progress({ done: job.done + deleted });
    }
    return { jobs: deleted };
  },
});
