import type { DeliveryDto, WebhookEndpointDto } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import {
  appendOlder,
  deliveriesPath,
  DELIVERY_STATUSES,
  endpointText,
  functionText,
  logTime,
  olderQuery,
  statusText,
  type DeliveryStatus,
} from './delivery-log.js';
import { ErrorLine } from './settings-ui.js';

/**
 * The delivery log (admins and owners): the account's emails and webhook calls, newest first, 50 at a
 * time with "Older deliveries" below, filtered by status. It tells how each went, never what was sent.
 */
export function DeliveryLogSection(props: { api: Api; endpoints: readonly WebhookEndpointDto[] }) {
  const { api } = props;
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [deliveries, setDeliveries] = useState<DeliveryDto[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The latest request: an answer to one made before the filter changed is dropped.
  const latest = useRef(0);

  const fetchPage = async (shown: readonly DeliveryDto[]) => {
    const request = ++latest.current;
    const query = olderQuery(status ? { status } : {}, shown);
    setBusy(true);
    setError(null);
    try {
      const page = await api.request<{ deliveries: DeliveryDto[] }>('GET', deliveriesPath(query));
      if (request !== latest.current) return;
      setDeliveries(appendOlder(shown, page.deliveries));
      // A full page may have more behind it; the last "Older" then shows none.
      setMore(page.deliveries.length === query.limit);
    } catch (caught) {
      if (request === latest.current) setError(caught);
    } finally {
      if (request === latest.current) setBusy(false);
    }
  };
  useEffect(() => {
    void fetchPage([]);
  }, [status]);

  return (
    <>
      <h2 id="delivery-log">Delivery log</h2>
      <p class="settings-help">
        Every email and webhook call of the account, newest first: when it was made, where it went and how its last
        attempt ended, never what it said. A failed attempt is tried again, for about an hour. Finished deliveries are
        removed after 30 days.
      </p>
      <div class="settings-row delivery-filter">
        <label>
          Filter by status
          <select
            value={status}
            onChange={(e) => {
              const value = e.currentTarget.value;
              setStatus(DELIVERY_STATUSES.find((s) => s === value) ?? '');
            }}
          >
            <option value="">All</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusText(s)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={busy} onClick={() => void fetchPage([])}>
          Refresh
        </button>
      </div>
      <ErrorLine text={error ? errorText(error) : null} />
      {deliveries === null ? (
        !error && <p class="loading">Loading…</p>
      ) : deliveries.length === 0 ? (
        <p>{status ? `No ${statusText(status).toLowerCase()} deliveries.` : 'No deliveries yet.'}</p>
      ) : (
        <table class="settings-table delivery-log" aria-labelledby="delivery-log">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Function</th>
              <th scope="col">Event</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last code</th>
              <th scope="col">Last error</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-status={d.status}>
                <td>{logTime(d.createdAt)}</td>
                <td>{functionText(d.function)}</td>
                <td>
                  <code>{d.event}</code>
                </td>
                <td class="wrap">{endpointText(d, props.endpoints)}</td>
                <td>{statusText(d.status)}</td>
                <td>{d.attempts}</td>
                <td>{d.lastCode ?? ''}</td>
                <td class="wrap">{d.lastError ?? ''}</td>
                <td>{d.nextAttemptAt === null ? '' : logTime(d.nextAttemptAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deliveries && more && (
        <div class="settings-row">
          <button type="button" disabled={busy} onClick={() => void fetchPage(deliveries)}>
            Older deliveries
          </button>
        </div>
      )}
    </>
  );
}
