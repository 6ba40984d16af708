import { href } from '../../lib/router.js';
import { useStore } from '../../lib/store.js';
import { longDate } from '../../lib/time.js';
import type { Live } from '../../live/live.js';

/**
 * Says that the account is closed (terminated): when, when it is deleted, and that what is needed
 * should be exported before. The console is read-only meanwhile; the server refuses its writes.
 */
export function AccountBanner(props: { live: Live; mayExport: boolean }) {
  const account = useStore(props.live.account);
  if (account?.status !== 'terminated') return null;
  return (
    <div class="banner account-closed" role="status">
      This account was closed on {longDate(account.terminatedAt)} and will be deleted on{' '}
      {longDate(account.purgeAfterAt)}; export what you need. The console is read-only until then.
      {props.mayExport && (
        <>
          {' '}
          <a href={href('/privacy')}>Export data</a>
        </>
      )}
    </div>
  );
}
