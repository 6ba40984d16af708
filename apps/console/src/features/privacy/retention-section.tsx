import type { AccountChanges, AccountDto, RETENTION_MONTHS } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../../api.js';
import { href } from '../../lib/router.js';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import { ErrorLine, fieldErrors, formErrorText } from '../settings/settings-ui.js';

// The protocol's bounds, checked by the type: a value import would bring its validators into the console.
const RETENTION: typeof RETENTION_MONTHS = { min: 1, max: 36 };

/**
 * How long transcripts are kept, and whether operators see visitors' IP addresses (admins and
 * owners). The account is the console's (Live.account), so the banner and this form agree.
 */
export function RetentionSection(props: { api: Api; live: Live }) {
  const account = useStore(props.live.account);
  const [months, setMonths] = useState('');
  const [showIp, setShowIp] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  // The form starts from the account as read, and again after a save.
  useEffect(() => {
    if (!account) return;
    setMonths(String(account.retentionMonths));
    setShowIp(account.showVisitorIp);
  }, [account?.retentionMonths, account?.showVisitorIp]);

  const save = async (event: Event) => {
    event.preventDefault();
    if (!account) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    const changes: AccountChanges = {
      ...(Number(months) !== account.retentionMonths ? { retentionMonths: Number(months) } : {}),
      ...(showIp !== account.showVisitorIp ? { showVisitorIp: showIp } : {}),
    };
    try {
      props.live.account.set(await props.api.request<AccountDto>('PATCH', '/api/v1/account', changes));
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrors(error);
  const changed = account !== null && (Number(months) !== account.retentionMonths || showIp !== account.showVisitorIp);
  return (
    <section class="privacy-section" aria-labelledby="retention">
      <h2 id="retention">Retention</h2>
      <ErrorLine text={formErrorText(error, fields)} />
      {!account ? (
        <p class="loading">Loading…</p>
      ) : (
        <form class="settings-form" aria-label="Retention" onSubmit={(event) => void save(event)}>
          <label>
            Keep transcripts for (months)
            <input
              type="number"
              min={RETENTION.min}
              max={RETENTION.max}
              step={1}
              required
              value={months}
              aria-describedby="retention-help"
              onInput={(e) => setMonths(e.currentTarget.value)}
            />
          </label>
          <ErrorLine text={fields.get('retentionMonths')} />
          <p class="settings-help" id="retention-help">
            {RETENTION.min} to {RETENTION.max} months after a conversation closed, its messages and files are deleted. A
            change takes effect with the daily retention job, not at once.
          </p>
          <p class="settings-help">
            Reports are not affected by retention: they are counts kept apart from the transcripts, and stay the same
            when transcripts are deleted.
          </p>
          <label class="check">
            <input type="checkbox" checked={showIp} onChange={(e) => setShowIp(e.currentTarget.checked)} />
            Show visitors' IP addresses to operators
          </label>
          <p class="settings-help">
            Off by default. When on, a visitor's IP address is kept sealed with the conversation for at most 24 hours
            and shown to operators; when off, it is not kept at all.
          </p>
          <p class="settings-help">
            The visitor's consent (opt-in), the privacy notice and the link to your privacy policy are set{' '}
            <a href={href('/settings/widget')}>with the widget</a>.
          </p>
          <div class="settings-row">
            <button type="submit" disabled={busy || !changed}>
              Save
            </button>
            {saved && <span role="status">Saved.</span>}
          </div>
        </form>
      )}
    </section>
  );
}
