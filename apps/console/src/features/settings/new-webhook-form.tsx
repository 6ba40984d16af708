import type { WebhookEndpointDto, WebhookEndpointInput, WebhookEvent } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import type { Api } from '../../api.js';
import { ErrorLine, fieldErrors, formErrorText } from './settings-ui.js';
import { WEBHOOK_EVENTS } from './webhooks.js';

/**
 * Adds a webhook endpoint: its URL and the events it takes (all at first). The installation checks
 * the URL (`url_not_allowed`: not http(s), a private or loopback address, a name that does not
 * resolve), and its message is shown as it says it.
 */
export function NewWebhookForm(props: { api: Api; onCreated: (endpoint: WebhookEndpointDto) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<readonly WebhookEvent[]>(WEBHOOK_EVENTS.map((e) => e.event));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const toggle = (event: WebhookEvent, taken: boolean) =>
    setEvents((current) =>
      WEBHOOK_EVENTS.map((e) => e.event).filter((e) => (e === event ? taken : current.includes(e))),
    );

  const create = async (submitted: Event) => {
    submitted.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: WebhookEndpointInput = { url: url.trim(), events: [...events] };
      props.onCreated(await props.api.request<WebhookEndpointDto>('POST', '/api/v1/webhooks', body));
      setUrl('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrors(error);
  return (
    <form class="settings-form" onSubmit={(event) => void create(event)} aria-labelledby="new-webhook">
      <h3 id="new-webhook">New webhook endpoint</h3>
      <ErrorLine text={formErrorText(error, fields)} />
      <label>
        URL
        <input
          type="url"
          required
          maxLength={2000}
          placeholder="https://example.com/plauder-events"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </label>
      <ErrorLine text={fields.get('url')} />
      <fieldset>
        <legend>Events</legend>
        {WEBHOOK_EVENTS.map(({ event, label }) => (
          <label class="check" key={event}>
            <input
              type="checkbox"
              checked={events.includes(event)}
              onChange={(e) => toggle(event, e.currentTarget.checked)}
            />
            <span>
              {label} <code>{event}</code>
            </span>
          </label>
        ))}
      </fieldset>
      <ErrorLine text={fields.get('events')} />
      <div class="settings-row">
        <button type="submit" disabled={busy || events.length === 0}>
          Add endpoint
        </button>
        {events.length === 0 && <span class="muted">Choose at least one event.</span>}
      </div>
    </form>
  );
}
