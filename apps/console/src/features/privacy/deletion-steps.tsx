import type { DeletionPreviewDto, JobDto } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { ErrorLine } from '../settings/settings-ui.js';
import { countsText } from './deletion-filter.js';
import { JobProgress } from './job-progress.js';

/**
 * What follows a dry run: its counts, a confirm step that names them, then the job's progress to its
 * end. Used by the bulk delete and by a widget's "delete all conversations"; a new count remounts it.
 */
export function DeletionSteps(props: {
  api: Api;
  preview: DeletionPreviewDto;
  /** Starts the erasure; answers its job. */
  start: () => Promise<JobDto>;
  onStarted?: (job: JobDto) => void;
  onFinished?: (job: JobDto) => void;
}) {
  const { preview } = props;
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [job, setJob] = useState<JobDto | null>(null);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const started = await props.start();
      setJob(started);
      props.onStarted?.(started);
    } catch (caught) {
      // nothing_to_delete (erased meanwhile), a refused filter, a read-only account: the API says which.
      setError(errorText(caught));
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };

  if (job) return <JobProgress api={props.api} job={job} onFinished={props.onFinished} />;
  const counts = countsText(preview);
  return (
    <div class="deletion-steps">
      <p role="status">
        {preview.conversations === 0
          ? 'Nothing matches: no conversation would be deleted.'
          : `${counts} would be deleted.`}
      </p>
      {preview.conversations > 0 &&
        (asking ? (
          <div class="settings-confirm" role="group" aria-label="Confirm the deletion">
            <span>Delete {counts} for good, with their files? This cannot be undone.</span>
            <button type="button" class="settings-danger" ref={yes} disabled={busy} onClick={() => void start()}>
              Delete {counts}
            </button>
            <button type="button" disabled={busy} onClick={() => setAsking(false)}>
              Keep them
            </button>
          </div>
        ) : (
          <div class="settings-row">
            <button type="button" class="settings-danger" onClick={() => setAsking(true)}>
              Delete…
            </button>
          </div>
        ))}
      <ErrorLine text={error} />
    </div>
  );
}
