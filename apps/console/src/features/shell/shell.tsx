import type { SessionDto } from '@plauder/protocol';
import { useEffect, useMemo } from 'preact/hooks';
import type { Api } from '../../api.js';
import { href, navigate, onLinkClick, useRoute } from '../../lib/router.js';
import { Live } from '../../live/live.js';
import { ContactsPage } from '../contacts/contacts-page.js';
import { useAlerts } from '../inbox/alerts.js';
import { InboxPage } from '../inbox/inbox-page.js';
import { SearchPage } from '../search/search-page.js';
import { SettingsPage } from '../settings/settings-page.js';
import { ConnectionBanner, Notices } from './banners.js';
import { PresenceSwitch } from './presence-switch.js';

const sections = [
  { path: 'inbox', label: 'Inbox' },
  { path: 'search', label: 'Search' },
  { path: 'contacts', label: 'Contacts' },
  { path: 'settings', label: 'Settings' },
] as const;

/**
 * The signed-in console: navigation, presence, the connection banner, and the page of the address.
 * `active` is false while sign-in covers it (the session ended): the socket rests, everything else stays.
 */
export function Shell(props: {
  api: Api;
  session: SessionDto;
  active: boolean;
  onSignOut: () => void;
  onRefresh: () => void;
}) {
  const { operator } = props.session;
  const live = useMemo(() => new Live(props.api, operator.id, operator.displayName), [props.api, operator.id]);
  useEffect(() => {
    if (!props.active) return;
    live.start();
    return () => live.stop();
  }, [live, props.active]);

  useAlerts(live);
  const route = useRoute();
  const [section, ...rest] = route.parts;
  useEffect(() => {
    if (!sections.some((s) => s.path === section)) navigate('/inbox/mine', { replace: true });
  }, [section]);

  return (
    <div class="shell" onClick={onLinkClick}>
      <header>
        <strong class="brand">Plauder</strong>
        <nav aria-label="Console">
          {sections.map((s) => (
            <a key={s.path} href={href(`/${s.path}`)} aria-current={s.path === section ? 'page' : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        <PresenceSwitch live={live} />
        <span class="who">
          {operator.displayName} · {operator.role}
        </span>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <ConnectionBanner live={live} />
      <Notices live={live} />
      {section === 'inbox' && (
        <InboxPage api={props.api} live={live} session={props.session} view={rest[0]} conversationId={rest[1]} />
      )}
      {section === 'search' && <SearchPage api={props.api} live={live} />}
      {section === 'contacts' && <ContactsPage api={props.api} session={props.session} contactId={rest[0]} />}
      {section === 'settings' && (
        <SettingsPage api={props.api} session={props.session} section={rest[0]} onRefresh={props.onRefresh} />
      )}
    </div>
  );
}
