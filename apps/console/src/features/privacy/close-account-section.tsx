import type { AccountDto, AccountTermination } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import { ErrorLine } from '../settings/settings-ui.js';
import { longDate } from '../../lib/time.js';

/**
 * Closing the account (owners): what happens in the grace period and after it, the account's name
 * typed again, and the termination. Once closed, it says when the account is deleted.
 */
export function CloseAccountSection(props: { api: Api; live: Live }) {
  const account = useStore(props.live.account);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!account) return null;

  const close = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: AccountTermination = { confirmName: typed };
      props.live.account.set(await props.api.request<AccountDto>('POST', '/api/v1/account/terminate', body));
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="privacy-section danger-zone" aria-labelledby="close-account">
      <h2 id="close-account">Close account</h2>
      {account.status === 'terminated' ? (
        <p>
          This account was closed on {longDate(account.terminatedAt)}. Everything of it is deleted on{' '}
          {longDate(account.purgeAfterAt)}; until then, read and export what you need. The installation's administrator
          can restore it until that day.
        </p>
      ) : (
        <>
          <p class="settings-help">Closing the account ends it in two steps.</p>
          <ul class="settings-help">
            <li>
              At once, a grace period begins: the widget stops (sites show no chat button), and the console becomes
              read-only: nobody chats or changes settings, but everyone can still sign in and read, and admins can
              export and delete.
            </li>
            <li>
              When the grace period ends (the installation sets it; 30 days unless its administrator chose otherwise),
              every conversation, message, file, contact, operator and key of the account is deleted for good. Backups
              cannot bring it back.
            </li>
          </ul>
          <form class="settings-form" aria-label="Close account" onSubmit={(event) => void close(event)}>
            <label>
              To confirm, type the account's name: {account.name}
              <input
                value={typed}
                autocomplete="off"
                spellcheck={false}
                onInput={(e) => setTyped(e.currentTarget.value)}
              />
            </label>
            <div class="settings-row">
              <button type="submit" class="destructive" disabled={busy || typed.trim() !== account.name}>
                Close account
              </button>
            </div>
            <ErrorLine text={error} />
          </form>
        </>
      )}
    </section>
  );
}
