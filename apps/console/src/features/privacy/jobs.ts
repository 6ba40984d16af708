/**
 * How the console tells of a job (a bulk delete and the like): its name, where it stands, and what
 * it did. Pure, for tests; JobProgress and RecentJobs draw it.
 */
import type { JobDto } from '@plauder/protocol';
import { counted } from './deletion-filter.js';

/** How often a running job is read again, in milliseconds. */
export const JOB_POLL_MS = 1000;

/** Whether a job has ended (done, failed or cancelled): it changes no more. */
export function isFinished(job: Pick<JobDto, 'status'>): boolean {
  return job.status === 'done' || job.status === 'failed' || job.status === 'cancelled';
}

const names: Record<string, string> = {
  'delete-conversations': 'Bulk delete',
  'delete-widget': 'Widget deletion',
  'sweep-retention': 'Retention',
};

/** The jobs that run to their end once started: the API refuses to cancel them. */
const uncancellable = new Set(['delete-widget']);

/** Whether the console offers Cancel for a job: it is unfinished, and of a kind that may stop half way. */
export function isCancellable(job: Pick<JobDto, 'name' | 'status'>): boolean {
  return !isFinished(job) && !uncancellable.has(job.name);
}

/** A job's name for people. */
export function jobLabel(name: string): string {
  return names[name] ?? name;
}

/** Where a job stands: "Queued", "Running: 3 of 12 conversations", "Failed: …". */
export function statusText(job: JobDto): string {
  const unit = job.unit ?? 'items';
  const progress =
    job.total === null
      ? `${job.done.toLocaleString()} ${unit}`
      : `${job.done.toLocaleString()} of ${counted(job.total, unit, unit)}`;
  switch (job.status) {
    case 'queued':
      return job.cancelRequested ? 'Queued, cancelling' : 'Queued';
    case 'running':
      return `${job.cancelRequested ? 'Cancelling' : 'Running'}: ${progress}`;
    case 'done':
      return 'Done';
    case 'failed':
      return `Failed${job.lastError ? `: ${job.lastError}` : ''}`;
    case 'cancelled':
      return `Cancelled after ${progress}`;
  }
}

/** The words of the counts a job reports; other keys are shown as they come. */
const resultWords: Record<string, [string, string]> = {
  conversations: ['conversation', 'conversations'],
  messages: ['message', 'messages'],
  attachments: ['file', 'files'],
  contacts: ['contact', 'contacts'],
};

/** What a finished job did, from its result: "Deleted 2 conversations, 7 messages, 0 files and 1 contact." */
export function resultText(job: JobDto): string | null {
  if (!job.result) return null;
  const parts = Object.entries(job.result).map(([key, value]) => {
    const words = resultWords[key];
    return words && typeof value === 'number' ? counted(value, ...words) : `${key}: ${value}`;
  });
  if (parts.length === 0) return null;
  const last = parts.pop();
  const list = parts.length > 0 ? `${parts.join(', ')} and ${last}` : last;
  return job.name === 'delete-conversations' || job.name === 'delete-widget' ? `Deleted ${list}.` : `${list}.`;
}
