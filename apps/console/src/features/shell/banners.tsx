import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';
import { href } from '../../lib/router.js';

/** Says when the live connection is lost, and that it comes back by itself. */
export function ConnectionBanner(props: { live: Live }) {
  const state = useStore(props.live.connection);
  if (state !== 'reconnecting') return null;
  return (
    <div class="banner" role="status">
      Connection lost. Reconnecting… Nothing you write is lost: it is sent when the connection is back.{' '}
      <button type="button" onClick={() => props.live.reconnectNow()}>
        Try now
      </button>
    </div>
  );
}

/** Refused actions and conversations closed under the operator, until dismissed. */
export function Notices(props: { live: Live }) {
  const notices = useStore(props.live.notices);
  if (notices.length === 0) return null;
  return (
    <ul class="notices" aria-live="polite">
      {notices.map((notice) => (
        <li key={notice.id} class="note">
          {notice.text}
          {notice.conversationId && (
            <>
              {' '}
              <a href={href(`/inbox/open/${notice.conversationId}`)}>Open</a>
            </>
          )}
          <button type="button" aria-label="Dismiss" onClick={() => props.live.dismiss(notice.id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
