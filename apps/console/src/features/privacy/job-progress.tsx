import type { JobDto } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, type Api } from '../../api.js';
import { isCancellable, isFinished, JOB_POLL_MS, jobLabel, resultText, statusText } from './jobs.js';

/**
 * A job followed to its end: a progress bar read again about once a second while it is queued or
 * running, Cancel (for a job that may stop half way), and its counts once it finished. `onFinished`
 * is called once, when it ends.
 */
export function JobProgress(props: { api: Api; job: JobDto; onFinished?: (job: JobDto) => void }) {
  const { api } = props;
  const [job, setJob] = useState(props.job);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const reported = useRef(false);
  const path = `/api/v1/jobs/${encodeURIComponent(job.id)}`;

  useEffect(() => {
    if (isFinished(job)) {
      if (!reported.current) props.onFinished?.(job);
      reported.current = true;
      return;
    }
    // One read at a time: the next is planned after the answer, so a slow server is not piled on.
    const timer = setTimeout(() => {
      api.request<JobDto>('GET', path).then(
        (read) => {
          setError(null);
          setJob(read);
        },
        (caught: unknown) => {
          setError(`Progress could not be read: ${errorText(caught)}. Trying again…`);
          // The same job again, as a new object: the effect plans the next read.
          setJob((before) => ({ ...before }));
        },
      );
    }, JOB_POLL_MS);
    return () => clearTimeout(timer);
  }, [job]);

  const cancel = async () => {
    setCancelling(true);
    try {
      setJob(await api.request<JobDto>('POST', `${path}/cancel`));
    } catch (caught) {
      // It ended before the cancel arrived: its end is read at the next poll.
      if (!(caught instanceof ApiError && caught.code === 'job_finished')) setError(errorText(caught));
    } finally {
      setCancelling(false);
    }
  };

  const finished = isFinished(job);
  const result = finished ? resultText(job) : null;
  const label = `${jobLabel(job.name)} progress`;
  const max = Math.max(1, job.total ?? job.done);
  return (
    <div class={`job-progress job-${job.status}`} role="group" aria-label={label}>
      {job.total === null && !finished ? (
        <progress aria-label={label} />
      ) : (
        <progress aria-label={label} max={max} value={job.status === 'done' ? max : Math.min(job.done, max)} />
      )}
      <div class="settings-row">
        <span role="status">{statusText(job)}</span>
        {isCancellable(job) && (
          <button type="button" disabled={cancelling || job.cancelRequested} onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </div>
      {result && <p>{result}</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </div>
  );
}
