import type { JobDefinition } from './job.js';
import { purgeFinishedJobsJob } from './purge-finished-jobs.js';

/**
 * Every job this program runs. Safe: `JobDefinition<unknown>` accepts any definition for listing; the
 * worker hands each one only what its own payload schema parsed.
 */
export const jobDefinitions: readonly JobDefinition<unknown>[] = [purgeFinishedJobsJob];
