import { z } from 'zod';

/** Where a job is: waiting to run, running on some node, or finished one of three ways. */
export const JobStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
/** A job's status. */
export type JobStatus = z.infer<typeof JobStatus>;

/** A job as the API shows it: progress while it runs, its summary once done. Never any content. */
export const JobDto = z.object({
  id: z.string(),
  name: z.string(),
  status: JobStatus,
  /** Items done so far (conversations, rows, …: the job's `unit`). */
  done: z.number().int(),
  /** Items in all, when the job knows; null while it does not. */
  total: z.number().int().nullable(),
  unit: z.string().nullable(),
  /** Runs so far; a failed run is tried again later, with backoff, up to the job's limit. */
  attempts: z.number().int(),
  /** Whether a cancel was asked for: the job stops at its next batch. */
  cancelRequested: z.boolean(),
  lastError: z.string().nullable(),
  /** Counts the job reports when it ends (such as `{ conversations: 12, messages: 340 }`). */
  result: z.record(z.string(), z.union([z.number(), z.string()])).nullable(),
  createdAt: z.number().int(),
  startedAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
});
/** A job. */
export type JobDto = z.infer<typeof JobDto>;

/** A page of the account's jobs, newest first. */
export const JobList = z.object({ jobs: z.array(JobDto) });
/** The account's jobs. */
export type JobList = z.infer<typeof JobList>;
