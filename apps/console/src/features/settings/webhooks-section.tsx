import type { WebhookEndpointDto, WebhookSecretDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { href } from '../../lib/router.js';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import { DeliveryLogSection } from './delivery-log-section.js';
import { functionStatusText } from './function-status.js';
import { NewWebhookForm } from './new-webhook-form.js';
import { ConfirmButton, CopyText, ErrorLine, formatTime } from './settings-ui.js';
import { eventsText } from './webhooks.js';

/**
 * The account's webhook endpoints (admins and owners; docs/OPTIONAL-FUNCTIONS.md): each with its
 * events, paused or not, its signing secret to show and replace, and removal; a new one; and below,
 * the delivery log of every email and webhook call. Endpoints may be kept while webhooks are off:
 * a note says that nothing is sent then.
 */
export function WebhooksSection(props: { api: Api; live: Live }) {
  const { api, live } = props;
  const webhooks = useStore(live.functions)?.find((f) => f.function === 'webhooks');
  const [endpoints, setEndpoints] = useState<WebhookEndpointDto[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () =>
    api
      .request<{ endpoints: WebhookEndpointDto[] }>('GET', '/api/v1/webhooks')
      .then((found) => setEndpoints(found.endpoints), setError);
  useEffect(() => {
    void load();
    void live.loadFunctions();
  }, []);

  return (
    <>
      <h2>Webhooks</h2>
      <p class="settings-help">
        Each endpoint gets the events it takes as a <code>POST</code> of JSON, signed in its{' '}
        <code>Plauder-Signature</code> header with the endpoint's secret (HMAC-SHA256), so the receiver can check that
        Plauder sent it. The URL must be a public <code>http(s)</code> address.
      </p>
      {webhooks && !webhooks.active && (
        <p class="note" role="status">
          Webhooks do not run for this account ({functionStatusText(webhooks)}): nothing is sent until Webhooks is
          turned on under <a href={href('/settings/functions')}>Optional functions</a>.
        </p>
      )}
      <ErrorLine text={error ? errorText(error) : null} />
      {endpoints === null ? (
        !error && <p class="loading">Loading…</p>
      ) : endpoints.length === 0 ? (
        <p>No webhook endpoints yet.</p>
      ) : (
        <ul class="webhook-list" aria-label="Webhook endpoints">
          {endpoints.map((endpoint) => (
            <WebhookEndpointItem
              key={endpoint.id}
              api={api}
              endpoint={endpoint}
              onChanged={(changed) =>
                setEndpoints((current) => current?.map((e) => (e.id === changed.id ? changed : e)) ?? null)
              }
              onRemoved={() => setEndpoints((current) => current?.filter((e) => e.id !== endpoint.id) ?? null)}
            />
          ))}
        </ul>
      )}
      <NewWebhookForm api={api} onCreated={(created) => setEndpoints((current) => [...(current ?? []), created])} />
      <DeliveryLogSection api={api} endpoints={endpoints ?? []} />
    </>
  );
}

/** One endpoint's card: what it takes, pause and resume, its secret, removal. */
function WebhookEndpointItem(props: {
  api: Api;
  endpoint: WebhookEndpointDto;
  onChanged: (endpoint: WebhookEndpointDto) => void;
  onRemoved: () => void;
}) {
  const { api, endpoint } = props;
  const path = `/api/v1/webhooks/${encodeURIComponent(endpoint.id)}`;
  const [secret, setSecret] = useState<{ value: string; replaced: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const setEnabled = (enabled: boolean) =>
    act(async () => props.onChanged(await api.request<WebhookEndpointDto>('PATCH', path, { enabled })));
  const showSecret = (replace: boolean) =>
    act(async () => {
      const found = await api.request<WebhookSecretDto>(replace ? 'POST' : 'GET', `${path}/secret`);
      setSecret({ value: found.secret, replaced: replace });
    });
  const remove = () =>
    act(async () => {
      await api.request('DELETE', path);
      props.onRemoved();
    });

  return (
    <li>
      <strong class="webhook-url">{endpoint.url}</strong>
      <p class="settings-help">
        {eventsText(endpoint.events)} · {endpoint.enabled ? 'Takes events' : 'Paused: takes no events'} · added{' '}
        {formatTime(endpoint.createdAt)}
      </p>
      <ErrorLine text={error ? errorText(error) : null} />
      {secret && (
        <>
          {secret.replaced && (
            <p role="status">Secret replaced: the old one signs nothing from now on. Give the receiver this one.</p>
          )}
          <CopyText label="Signing secret" value={secret.value} />
        </>
      )}
      <div class="settings-row">
        <button type="button" disabled={busy} onClick={() => void setEnabled(!endpoint.enabled)}>
          {endpoint.enabled ? 'Pause' : 'Resume'}
        </button>
        {secret ? (
          <button type="button" onClick={() => setSecret(null)}>
            Hide secret
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => void showSecret(false)}>
            Show secret
          </button>
        )}
        <ConfirmButton
          label="Replace secret"
          question="Replace the signing secret? Calls are signed with the new one at once: the receiver needs it."
          confirm="Replace"
          onConfirm={() => void showSecret(true)}
        />
        <ConfirmButton
          label="Remove"
          question="Remove this endpoint? What it has not been sent yet is cancelled."
          confirm="Remove"
          onConfirm={() => void remove()}
        />
      </div>
    </li>
  );
}
