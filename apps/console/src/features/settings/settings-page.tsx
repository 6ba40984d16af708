import type { SessionDto } from '@plauder/protocol';
import { useEffect } from 'preact/hooks';
import type { Api } from '../../api.js';
import type { Live } from '../../live/live.js';
import { lazy } from '../../lib/lazy.js';
import { href, navigate } from '../../lib/router.js';
import { may } from '../../roles.js';
import { ApiTokensSection } from './api-tokens-section.js';
import { CannedResponsesSection } from './canned-responses-section.js';
import { OperatorsSection } from './operators-section.js';
import { OptionalFunctionsSection } from './optional-functions-section.js';
import './settings.css';
import { WidgetSection } from './widget-section.js';
import { YourAccountSection } from './your-account-section.js';

// Admins only, and rarely: the webhooks and the delivery log load on their first visit.
const WebhooksSection = lazy(() => import('./webhooks-section.js').then((module) => module.WebhooksSection));

/** The sections, in the side list's order; `admin` ones are not shown to operators at all. */
const SECTIONS = [
  { path: 'widget', label: 'Widget', admin: true },
  { path: 'operators', label: 'Operators', admin: true },
  { path: 'canned-responses', label: 'Canned responses', admin: false },
  { path: 'api-tokens', label: 'API tokens', admin: true },
  { path: 'functions', label: 'Optional functions', admin: false },
  { path: 'webhooks', label: 'Webhooks', admin: true },
  { path: 'account', label: 'Your account', admin: false },
] as const;

/**
 * Settings, one section at a time at `/app/settings/SECTION`. Operators see their own account, and the
 * canned responses and optional functions to read; admins and owners see everything. A section the
 * role may not use, or none, leads to the role's first one.
 */
export function SettingsPage(props: {
  api: Api;
  live: Live;
  session: SessionDto;
  section: string | undefined;
  onRefresh: () => void;
}) {
  const { role } = props.session.operator;
  const admin = may(role, 'manageAccount');
  const shown = SECTIONS.filter((s) => admin || !s.admin);
  const current = shown.find((s) => s.path === props.section);
  useEffect(() => {
    // Privacy moved to a page of its own; old links and bookmarks still lead there.
    if (props.section === 'privacy' && admin) navigate('/privacy', { replace: true });
    else if (!current) navigate(`/settings/${admin ? 'widget' : 'account'}`, { replace: true });
  }, [current, admin]);

  return (
    <section class="page settings">
      <nav class="settings-nav" aria-label="Settings">
        <h1>Settings</h1>
        <ul>
          {shown.map((s) => (
            <li key={s.path}>
              <a href={href(`/settings/${s.path}`)} aria-current={s === current ? 'page' : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="settings-body">
        {current?.path === 'widget' && <WidgetSection api={props.api} live={props.live} />}
        {current?.path === 'operators' && <OperatorsSection api={props.api} session={props.session} />}
        {current?.path === 'canned-responses' && <CannedResponsesSection api={props.api} session={props.session} />}
        {current?.path === 'api-tokens' && <ApiTokensSection api={props.api} />}
        {current?.path === 'functions' && <OptionalFunctionsSection api={props.api} session={props.session} />}
        {current?.path === 'webhooks' && <WebhooksSection api={props.api} live={props.live} />}
        {current?.path === 'account' && (
          <YourAccountSection api={props.api} session={props.session} onRefresh={props.onRefresh} />
        )}
      </div>
    </section>
  );
}
