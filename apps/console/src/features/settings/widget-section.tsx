import type { JobDto, UpdateWidgetRequest, WidgetDto, WidgetSettingsChanges } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import type { Live } from '../../live/live.js';
import { JobProgress } from '../privacy/job-progress.js';
import { WidgetErasure } from '../privacy/widget-erasure.js';
import { AddWidget } from './add-widget.js';
import { CopyText, ErrorLine, fieldErrors, formErrorText } from './settings-ui.js';
import { WidgetDeletion } from './widget-deletion.js';
import { WidgetForm } from './widget-form.js';
import { WidgetPreview } from './widget-preview.js';

type Settings = WidgetDto['settings'];

/** The fields of `draft` that differ from `saved`, compared as JSON. */
function differing<T extends object>(saved: T, draft: T): Partial<T> {
  const changes: Partial<T> = {};
  // Safe: the own keys of a T.
  for (const key of Object.keys(draft) as (keyof T)[]) {
    if (JSON.stringify(draft[key]) !== JSON.stringify(saved[key])) changes[key] = draft[key];
  }
  return changes;
}

/** The change to send: the top-level settings that differ, and privacy's keys one by one. */
function changesOf(saved: Settings, draft: Settings): WidgetSettingsChanges {
  const changes = differing(saved, draft);
  delete changes.privacy;
  const privacy = differing(saved.privacy, draft.privacy);
  return { ...changes, ...(Object.keys(privacy).length > 0 ? { privacy } : {}) };
}

/** The allowed-origins box as a list: one origin per line (or separated by spaces or commas). */
function originsOf(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The snippet a site pastes (docs/WIDGET.md): the loader of this installation, naming the widget. */
function snippetOf(publicKey: string): string {
  return `<script async src="${location.origin}/widget/v1/loader.js" data-widget="${publicKey}"></script>`;
}

/**
 * The widget designer (admins and owners): the settings of one of the account's widgets, a live
 * preview that follows every keystroke, Save, the snippet to paste into the site, the erasure of all
 * its conversations, and adding and deleting widgets.
 */
export function WidgetSection(props: { api: Api; live: Live }) {
  const { api } = props;
  const [widgets, setWidgets] = useState<WidgetDto[] | null>(null);
  const [widget, setWidget] = useState<WidgetDto | null>(null);
  const [draft, setDraft] = useState<Settings | null>(null);
  const [origins, setOrigins] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  /** The widget being deleted, followed here: it has left the list already. */
  const [deletion, setDeletion] = useState<{ name: string; job: JobDto } | null>(null);

  const edit = (chosen: WidgetDto) => {
    setWidget(chosen);
    setDraft(chosen.settings);
    setOrigins(chosen.settings.allowedOrigins.join('\n'));
    setError(null);
  };
  useEffect(() => {
    api.request<{ widgets: WidgetDto[] }>('GET', '/api/v1/widgets').then((found) => {
      setWidgets(found.widgets);
      if (found.widgets[0]) edit(found.widgets[0]);
    }, setError);
  }, []);

  const added = (widget: WidgetDto) => {
    setWidgets((list) => [...(list ?? []), widget]);
    edit(widget);
    setSaved(false);
  };
  const deleted = (gone: WidgetDto, job: JobDto) => {
    setDeletion({ name: gone.name, job });
    const rest = widgets?.filter((w) => w.id !== gone.id) ?? [];
    setWidgets(rest);
    if (rest[0]) edit(rest[0]);
    setSaved(false);
  };

  const current = draft && { ...draft, allowedOrigins: originsOf(origins) };
  const changes = widget && current ? changesOf(widget.settings, current) : {};
  const dirty = Object.keys(changes).length > 0;
  const fields = fieldErrors(error, 'settings.');

  const save = async (event: Event) => {
    event.preventDefault();
    if (!widget || !dirty) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const body: UpdateWidgetRequest = { settings: changes };
      const updated = await api.request<WidgetDto>('PATCH', `/api/v1/widgets/${widget.id}`, body);
      setWidgets((list) => list?.map((w) => (w.id === updated.id ? updated : w)) ?? null);
      edit(updated);
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (!widgets || !widget || !current)
    return (
      <>
        <h2>Widget</h2>
        <ErrorLine text={error ? errorText(error) : null} />
        {!error && <p class="loading">{widgets ? 'This account has no widget.' : 'Loading…'}</p>}
      </>
    );
  return (
    <>
      <h2>Widget</h2>
      {deletion && (
        <div class="widget-deletion-progress" role="group" aria-label={`Deleting ${deletion.name}`}>
          <p>{deletion.name} is deleted: it no longer shows on any site. Its conversations are being erased.</p>
          {/* The job erased conversations the inbox may still show; no socket event tells of them. */}
          <JobProgress key={deletion.job.id} api={api} job={deletion.job} onFinished={() => void props.live.reread()} />
        </div>
      )}
      <AddWidget api={api} disabled={dirty} onAdded={added} />
      {widgets.length > 1 && (
        <label class="widget-picker">
          Widget
          <select
            value={widget.id}
            disabled={dirty}
            aria-describedby={dirty ? 'picker-help' : undefined}
            onChange={(e) => {
              const value = e.currentTarget.value;
              const chosen = widgets.find((w) => w.id === value);
              if (chosen) edit(chosen);
            }}
          >
            {widgets.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
          {dirty && (
            <span class="settings-help" id="picker-help">
              Save or discard the changes to switch.
            </span>
          )}
        </label>
      )}
      <div class="designer">
        <form class="settings-form" aria-label={`Settings of ${widget.name}`} onSubmit={(event) => void save(event)}>
          <WidgetForm
            draft={current}
            onChange={(next) => {
              setDraft(next);
              setSaved(false);
            }}
            origins={origins}
            onOrigins={(text) => {
              setOrigins(text);
              setSaved(false);
            }}
            errors={fields}
          />
          <div class="save-bar">
            <ErrorLine text={formErrorText(error, fields)} />
            <div class="settings-row">
              <button type="submit" disabled={busy || !dirty}>
                Save
              </button>
              <button type="button" disabled={busy || !dirty} onClick={() => edit(widget)}>
                Discard changes
              </button>
              <span role="status">
                {saved ? 'Saved. Sites show it within about a minute.' : dirty ? 'Not saved yet.' : ''}
              </span>
            </div>
          </div>
        </form>
        <WidgetPreview settings={current} />
      </div>
      <h3>Put it on your site</h3>
      <p class="settings-help">
        Paste this before <code>&lt;/body&gt;</code> on every page that should show the chat button.
      </p>
      <CopyText label="Snippet" value={snippetOf(widget.publicKey)} multiline />
      {/* The job erased conversations the inbox may still show; no socket event tells of them. */}
      <WidgetErasure key={widget.id} api={api} widget={widget} onFinished={() => void props.live.reread()} />
      <WidgetDeletion
        key={`delete-${widget.id}`}
        api={api}
        widget={widget}
        onlyOne={widgets.length <= 1}
        onDeleted={(job) => deleted(widget, job)}
      />
    </>
  );
}
