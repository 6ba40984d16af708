import { useEffect, useState } from 'preact/hooks';
import { href } from '../../lib/router.js';
import type { Thread } from '../../live/thread.js';

/**
 * Who the visitor is, as far as they said and the account keeps: where they started the chat, their
 * language and local time, the privacy notice they accepted, the contact. The IP address only when
 * the account turned its display on (and for 24 hours at most).
 */
export function VisitorPanel(props: { thread: Thread }) {
  const detail = props.thread.detail;
  const now = useMinute();
  if (!detail) return null;
  const { visitor, contact, consent } = detail;
  return (
    <aside class="visitor-panel" aria-label="Visitor">
      <h3>Visitor</h3>
      <dl>
        <dt>Page</dt>
        <dd>{visitor.pageUrl ? <span class="url">{visitor.pageUrl}</span> : 'Not known'}</dd>
        <dt>Language</dt>
        <dd>{visitor.language ? languageName(visitor.language) : 'Not known'}</dd>
        <dt>Local time</dt>
        <dd>{visitor.timeZone ? localTime(now, visitor.timeZone) : 'Not known'}</dd>
        <dt>Consent</dt>
        <dd>
          {consent
            ? `Notice ${consent.version}, accepted ${new Date(consent.at).toLocaleString()}`
            : 'None recorded (the widget does not ask)'}
        </dd>
        {detail.offlineEmail && (
          <>
            <dt>Email left</dt>
            <dd>{detail.offlineEmail}</dd>
          </>
        )}
        {detail.rating && (
          <>
            <dt>Rating</dt>
            <dd>
              {detail.rating.score} of 5{detail.rating.comment ? `: ${detail.rating.comment}` : ''}
            </dd>
          </>
        )}
        {detail.visitorIp && (
          <>
            <dt>IP address</dt>
            <dd>{detail.visitorIp}</dd>
          </>
        )}
      </dl>
      <h3>Contact</h3>
      {contact ? (
        <dl>
          <dt>Name</dt>
          <dd>{contact.name ?? '—'}</dd>
          <dt>Email</dt>
          <dd>{contact.email ?? '—'}</dd>
          <dd>
            <a href={href(`/contacts/${contact.id}`)}>Open contact</a>
          </dd>
        </dl>
      ) : (
        <p class="muted">The visitor has not said who they are.</p>
      )}
    </aside>
  );
}

function useMinute(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function localTime(now: number, timeZone: string): string {
  try {
    return new Date(now).toLocaleTimeString([], {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    });
  } catch {
    return `Unknown time zone ${timeZone}`;
  }
}

function languageName(tag: string): string {
  try {
    return `${new Intl.DisplayNames([], { type: 'language' }).of(tag) ?? tag} (${tag})`;
  } catch {
    return tag;
  }
}
