import type { SessionDto } from '@plauder/protocol';
import { useEffect, useMemo } from 'preact/hooks';
import type { Api } from '../../api.js';
import { lazy } from '../../lib/lazy.js';
import { href, navigate, onLinkClick, useRoute } from '../../lib/router.js';
import { Live } from '../../live/live.js';
import { may, type Action } from '../../roles.js';
import { ContactsPage } from '../contacts/contacts-page.js';
import { useAlerts } from '../inbox/alerts.js';
import { InboxPage } from '../inbox/inbox-page.js';
import { SearchPage } from '../search/search-page.js';
import { SettingsPage } from '../settings/settings-page.js';
import { AccountBanner } from './account-banner.js';
import { ConnectionBanner, Notices } from './banners.js';
import { PresenceSwitch } from './presence-switch.js';

/** The pages of the navigation; one with `needs` is not there for a role below it. */
const sections: readonly { path: string; label: string; needs?: Action }[] = [
  { path: 'inbox', label: 'Inbox' },
  { path: 'search', label: 'Search' },
  { path: 'contacts', label: 'Contacts' },
  { path: 'reports', label: 'Reports', needs: 'viewReports' },
  { path: 'privacy', label: 'Privacy', needs: 'managePrivacy' },
  { path: 'settings', label: 'Settings' },
];

// Opened by few, and rarely: their code loads on the first visit (the reports' with its charts).
const PrivacyPage = lazy(() => import('../privacy/privacy-page.js').then((module) => module.PrivacyPage));
const ReportsPage = lazy(() => import('../reports/reports-page.js').then((module) => module.ReportsPage));

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

  // A write refused because the account was closed meanwhile: the banner and read-only controls follow.
  props.api.onAccountTerminated = () => void live.loadAccount();

  useAlerts(live);
  const route = useRoute();
  const [section, ...rest] = route.parts;
  const shown = sections.filter((s) => !s.needs || may(operator.role, s.needs));
  useEffect(() => {
    if (!shown.some((s) => s.path === section)) navigate('/inbox/mine', { replace: true });
  }, [section]);

  return (
    <div class="shell" onClick={onLinkClick}>
      <header>
        <strong class="brand">Plauder</strong>
        <nav aria-label="Console">
          {shown.map((s) => (
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
      <AccountBanner live={live} mayExport={may(operator.role, 'managePrivacy')} />
      <ConnectionBanner live={live} />
      <Notices live={live} />
      {section === 'inbox' && (
        <InboxPage api={props.api} live={live} session={props.session} view={rest[0]} conversationId={rest[1]} />
      )}
      {section === 'search' && <SearchPage api={props.api} live={live} />}
      {section === 'contacts' && <ContactsPage api={props.api} session={props.session} contactId={rest[0]} />}
      {section === 'reports' && shown.some((s) => s.path === 'reports') && <ReportsPage api={props.api} live={live} />}
      {section === 'privacy' && shown.some((s) => s.path === 'privacy') && (
        <PrivacyPage api={props.api} live={live} session={props.session} />
      )}
      {section === 'settings' && (
        <SettingsPage
          api={props.api}
          live={live}
          session={props.session}
          section={rest[0]}
          onRefresh={props.onRefresh}
        />
      )}
    </div>
  );
}
