import type { JobDto, JobList } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { ErrorLine, formatTime } from '../settings/settings-ui.js';
import { isFinished, jobLabel, resultText, statusText } from './jobs.js';

/** How many of the newest jobs are listed. */
const SHOWN = 10;
/** How often the list is read again while one of its jobs is unfinished, in milliseconds. */
const REFRESH_MS = 3000;

/**
 * The account's newest jobs (bulk deletes, a widget's erasure) with status and progress; read again
 * when `version` changes (a job started or ended here) and every few seconds while one is unfinished.
 */
export function RecentJobs(props: { api: Api; version: number }) {
  const [jobs, setJobs] = useState<readonly JobDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reads, setReads] = useState(0);
  useEffect(() => {
    props.api.request<JobList>('GET', `/api/v1/jobs?limit=${SHOWN}`).then(
      (found) => {
        setError(null);
        setJobs(found.jobs);
      },
      (caught: unknown) => setError(errorText(caught)),
    );
  }, [props.version, reads]);
  const unfinished = jobs?.some((job) => !isFinished(job)) ?? false;
  useEffect(() => {
    if (!unfinished) return;
    const timer = setTimeout(() => setReads((n) => n + 1), REFRESH_MS);
    return () => clearTimeout(timer);
  }, [jobs]);

  return (
    <section class="privacy-section" aria-labelledby="recent-jobs">
      <h3 id="recent-jobs">Recent jobs</h3>
      <ErrorLine text={error} />
      {jobs?.length === 0 && <p class="settings-help">No jobs yet.</p>}
      {jobs && jobs.length > 0 && (
        <table class="settings-table">
          <thead>
            <tr>
              <th>Job</th>
              <th>Started</th>
              <th>Status</th>
              <th>Progress</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id}>
                <td>{jobLabel(job.name)}</td>
                <td>{formatTime(job.createdAt)}</td>
                <td>
                  {statusText(job)}
                  {isFinished(job) && resultText(job) && <div class="settings-help">{resultText(job)}</div>}
                </td>
                <td>
                  <progress
                    aria-label={`${jobLabel(job.name)} of ${formatTime(job.createdAt)}`}
                    max={Math.max(1, job.total ?? job.done)}
                    value={job.status === 'done' ? Math.max(1, job.total ?? job.done) : job.done}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
