import type { AccountChanges, AccountDto } from '@plauder/protocol';
import { useMemo, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import { timeZoneChoices } from './report-range.js';

/**
 * The account's time zone, which reports count days and hours in, and the form that changes it
 * (`PATCH /api/v1/account`; admins and owners, as the page). A change counts from then on: days
 * counted before keep their numbers (docs/REPORTS.md).
 */
export function TimeZoneSetting(props: { api: Api; live: Live }) {
  const account = useStore(props.live.account);
  const readOnly = useStore(props.live.readOnly);
  const [chosen, setChosen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const zones = useMemo(
    () => (account ? timeZoneChoices(Intl.supportedValuesOf('timeZone'), account.timeZone) : []),
    [account?.timeZone],
  );
  if (!account) return null;

  const save = async (event: Event) => {
    event.preventDefault();
    if (chosen === null) return;
    setBusy(true);
    setError(null);
    try {
      const changes: AccountChanges = { timeZone: chosen };
      props.live.account.set(await props.api.request<AccountDto>('PATCH', '/api/v1/account', changes));
      setChosen(null);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  if (chosen === null) {
    return (
      <p class="report-time-zone">
        Days and hours are counted in <strong>{account.timeZone}</strong>.{' '}
        <button type="button" class="link" disabled={readOnly} onClick={() => setChosen(account.timeZone)}>
          Change time zone
        </button>
      </p>
    );
  }
  return (
    <form class="report-time-zone report-time-zone-form" aria-label="Time zone" onSubmit={(event) => void save(event)}>
      <label>
        Time zone of the reports
        <select value={chosen} onChange={(event) => setChosen(event.currentTarget.value)}>
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy || chosen === account.timeZone}>
        Save
      </button>
      <button type="button" onClick={() => setChosen(null)}>
        Cancel
      </button>
      <p class="settings-help">
        Events count on the day and hour they had in this zone from now on; days counted before keep their numbers.
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}
