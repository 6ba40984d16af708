import type { CreateWidgetRequest, WidgetDto } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { type Api } from '../../api.js';
import { ErrorLine, fieldErrors, formErrorText } from './settings-ui.js';

/** "Add widget" (admins): a name, and a new widget with the default settings, handed to `onAdded`. */
export function AddWidget(props: { api: Api; disabled: boolean; onAdded: (widget: WidgetDto) => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = fieldErrors(error);

  const add = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: CreateWidgetRequest = { name };
      props.onAdded(await props.api.request<WidgetDto>('POST', '/api/v1/widgets', body));
      setName('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings-row add-widget" aria-label="Add widget" onSubmit={(event) => void add(event)}>
      <label>
        New widget's name
        <input
          value={name}
          maxLength={100}
          required
          aria-invalid={fields.has('name') || undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy || props.disabled || name.trim() === ''}>
        Add widget
      </button>
      <ErrorLine text={fields.get('name') ?? formErrorText(error, fields)} />
    </form>
  );
}
