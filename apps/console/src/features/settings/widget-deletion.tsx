import type { DeletionPreviewDto, JobDto, WidgetDto } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { countsText } from '../privacy/deletion-filter.js';
import { ErrorLine } from './settings-ui.js';

/**
 * "Delete widget" (widget settings, admins): its conversations counted first, then a confirmation
 * that names everything that goes, then `DELETE /api/v1/widgets/:id`. `onDeleted` gets the job; the
 * widget is gone from the API at once, so the section drops it and follows the job itself. The
 * account's only widget offers no delete (the API refuses it too).
 */
export function WidgetDeletion(props: {
  api: Api;
  widget: WidgetDto;
  onlyOne: boolean;
  onDeleted: (job: JobDto) => void;
}) {
  const { api, widget } = props;
  const [counts, setCounts] = useState<DeletionPreviewDto | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (counts) yes.current?.focus();
  }, [counts]);

  const ask = async () => {
    setBusy(true);
    setError(null);
    try {
      const filter = { widgetId: widget.id };
      setCounts(await api.request<DeletionPreviewDto>('POST', '/api/v1/deletions/preview', { filter }));
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      props.onDeleted(await api.request<JobDto>('DELETE', `/api/v1/widgets/${encodeURIComponent(widget.id)}`));
    } catch (caught) {
      // last_widget (one was deleted elsewhere meanwhile), a read-only account: the API says which.
      setError(errorText(caught));
      setCounts(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="danger-zone widget-deletion">
      <h3>Delete this widget</h3>
      {props.onlyOne ? (
        <p class="settings-help">This is the account's only widget. Add another one before you delete it.</p>
      ) : counts ? (
        <div class="settings-confirm" role="group" aria-label="Confirm the widget's deletion">
          <span>
            Delete {widget.name} for good? Its chat button stops on every site at once, and {countsText(counts)} are
            erased with their files and keys, as are contacts left with no conversation. Reports keep their numbers.
            This cannot be undone.
          </span>
          <button type="button" class="settings-danger" ref={yes} disabled={busy} onClick={() => void remove()}>
            Delete {widget.name}
          </button>
          <button type="button" disabled={busy} onClick={() => setCounts(null)}>
            Keep it
          </button>
        </div>
      ) : (
        <>
          <p class="settings-help">
            Removes {widget.name} and its snippet's chat button from every site, with all its conversations.
          </p>
          <div class="settings-row">
            <button type="button" class="settings-danger" disabled={busy} onClick={() => void ask()}>
              Delete widget…
            </button>
          </div>
        </>
      )}
      <ErrorLine text={error} />
    </div>
  );
}
