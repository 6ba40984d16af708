import type { ConversationStatus, DeletionFilter, DeletionPreviewDto, JobDto, WidgetDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import { ErrorLine } from '../settings/settings-ui.js';
import { DeletionSteps } from './deletion-steps.js';
import { EMPTY_FILTER_FORM, filterOf, type FilterForm } from './deletion-filter.js';

const STATUSES: readonly { value: ConversationStatus; label: string }[] = [
  { value: 'waiting', label: 'Waiting' },
  { value: 'open', label: 'Open' },
  { value: 'closed', label: 'Closed' },
];

/**
 * Bulk delete (admins and owners): a filter, "Count" (a dry run), then the confirmed delete and its
 * job's progress. Changing the filter drops the count: what is confirmed is always what was counted.
 */
export function BulkDeleteSection(props: { api: Api; live: Live; onStarted: () => void; onFinished: () => void }) {
  const { api } = props;
  const operators = useStore(props.live.operators);
  const [widgets, setWidgets] = useState<readonly WidgetDto[]>([]);
  const [form, setForm] = useState<FilterForm>(EMPTY_FILTER_FORM);
  const [counted, setCounted] = useState<{ filter: DeletionFilter; preview: DeletionPreviewDto; n: number } | null>(
    null,
  );
  const [running, setRunning] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.request<{ widgets: WidgetDto[] }>('GET', '/api/v1/widgets').then(
      (found) => setWidgets(found.widgets),
      (caught: unknown) => setError(`The widgets could not be read: ${errorText(caught)}`),
    );
  }, []);

  const change = (next: Partial<FilterForm>) => {
    setForm({ ...form, ...next });
    if (!running) setCounted(null);
    setError(null);
  };
  const count = async (event: Event) => {
    event.preventDefault();
    const checked = filterOf(form);
    if ('error' in checked) return setError(checked.error);
    setBusy(true);
    setError(null);
    try {
      const preview = await api.request<DeletionPreviewDto>('POST', '/api/v1/deletions/preview', checked);
      setCounted({ filter: checked.filter, preview, n: (counted?.n ?? 0) + 1 });
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  const value = (event: Event) => (event.currentTarget as HTMLInputElement | HTMLSelectElement).value;
  const some = !form.everything;

  return (
    <section class="privacy-section" aria-labelledby="bulk-delete">
      <h2 id="bulk-delete">Bulk delete</h2>
      <p class="settings-help">
        Erases the conversations that meet every criterion given, with their messages, files and keys. Count first:
        nothing is deleted until you confirm the counts. Reports keep their numbers.
      </p>
      <form class="settings-form" aria-label="Bulk delete filter" onSubmit={(event) => void count(event)}>
        <fieldset disabled={running}>
          <div class="privacy-grid">
            <label>
              Created from
              <input
                type="date"
                disabled={!some}
                value={form.createdFrom}
                onInput={(e) => change({ createdFrom: value(e) })}
              />
            </label>
            <label>
              Created to (this day included)
              <input
                type="date"
                disabled={!some}
                value={form.createdTo}
                onInput={(e) => change({ createdTo: value(e) })}
              />
            </label>
            <label>
              Widget
              <select disabled={!some} value={form.widgetId} onChange={(e) => change({ widgetId: value(e) })}>
                <option value="">Any widget</option>
                {widgets.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Operator
              <select disabled={!some} value={form.operatorId} onChange={(e) => change({ operatorId: value(e) })}>
                <option value="">Any operator</option>
                {operators.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.displayName}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Status
              <select
                disabled={!some}
                value={form.status}
                // Safe: the options' values are the statuses and ''.
                onChange={(e) => change({ status: value(e) as FilterForm['status'] })}
              >
                <option value="">Any status</option>
                {STATUSES.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Rating
              <select disabled={!some} value={form.rating} onChange={(e) => change({ rating: value(e) })}>
                <option value="">Any rating</option>
                {[1, 2, 3, 4, 5].map((stars) => (
                  <option key={stars} value={String(stars)}>
                    {stars} {stars === 1 ? 'star' : 'stars'}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <label class="check">
            <input
              type="checkbox"
              checked={form.everything}
              onChange={(e) => change({ everything: e.currentTarget.checked })}
            />
            Everything: every conversation of the account
          </label>
          <div class="settings-row">
            <button type="submit" disabled={busy}>
              Count
            </button>
          </div>
        </fieldset>
        <ErrorLine text={error} />
        {counted && (
          <DeletionSteps
            key={counted.n}
            api={api}
            preview={counted.preview}
            start={() => api.request<JobDto>('POST', '/api/v1/deletions', { filter: counted.filter, confirm: true })}
            onStarted={() => {
              setRunning(true);
              props.onStarted();
            }}
            onFinished={() => {
              setRunning(false);
              props.onFinished();
            }}
          />
        )}
      </form>
    </section>
  );
}
