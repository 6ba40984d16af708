import type { DeletionPreviewDto, JobDto, WidgetDto } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { ErrorLine } from '../settings/settings-ui.js';
import { DeletionSteps } from './deletion-steps.js';

/**
 * "Delete all conversations of this widget" (widget settings, admins): counted first, confirmed with
 * the counts, then the job's progress. The widget and its settings stay.
 */
export function WidgetErasure(props: { api: Api; widget: WidgetDto; onFinished?: () => void }) {
  const { api, widget } = props;
  const [preview, setPreview] = useState<{ counts: DeletionPreviewDto; n: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const count = async () => {
    setBusy(true);
    setError(null);
    try {
      const counts = await api.request<DeletionPreviewDto>('POST', '/api/v1/deletions/preview', {
        filter: { widgetId: widget.id },
      });
      setPreview({ counts, n: (preview?.n ?? 0) + 1 });
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="danger-zone widget-erasure">
      <h3>Delete all conversations of this widget</h3>
      <p class="settings-help">
        Erases every conversation that came through {widget.name}, with messages, files and keys. The widget and its
        settings stay; reports keep their numbers.
      </p>
      <div class="settings-row">
        <button type="button" class="settings-danger" disabled={busy} onClick={() => void count()}>
          Delete all conversations of this widget…
        </button>
      </div>
      <ErrorLine text={error} />
      {preview && (
        <DeletionSteps
          key={preview.n}
          api={api}
          preview={preview.counts}
          start={() => api.request<JobDto>('DELETE', `/api/v1/widgets/${encodeURIComponent(widget.id)}/conversations`)}
          onFinished={props.onFinished}
        />
      )}
    </div>
  );
}
