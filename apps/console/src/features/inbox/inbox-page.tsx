import type { ConversationView as View, SessionDto } from '@plauder/protocol';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../../api.js';
import { href, navigate } from '../../lib/router.js';
import { useStore } from '../../lib/store.js';
import { shortTime } from '../../lib/time.js';
import { VirtualList } from '../../lib/virtual-list.js';
import { countsOf, isUnread, titleOf, viewOf, type InboxItem } from '../../live/inbox.js';
import type { Live } from '../../live/live.js';
import { ConversationPane } from '../conversation/conversation-pane.js';
import { alertSettings, setAlert } from './alerts.js';
import { ShortcutList, useShortcuts, type Shortcut } from './shortcuts.js';

const views: readonly { view: View; label: string }[] = [
  { view: 'waiting', label: 'Waiting' },
  { view: 'mine', label: 'Mine' },
  { view: 'open', label: 'All open' },
  { view: 'closed', label: 'Closed' },
];
const ROW_HEIGHT = 60;

/** The inbox: the views with their counts, a conversation list, and the open conversation. */
export function InboxPage(props: {
  api: Api;
  live: Live;
  session: SessionDto;
  view: string | undefined;
  conversationId: string | undefined;
}) {
  const { live } = props;
  const view: View = views.find((v) => v.view === props.view)?.view ?? 'mine';
  const inbox = useStore(live.inbox);
  const closedCursor = useStore(live.closedCursor);
  // Rows name the holder: they draw again when the operators are read.
  useStore(live.operators);
  const [showShortcuts, setShowShortcuts] = useState(false);
  const items = useMemo(() => viewOf(inbox, view, live.operatorId), [inbox, view, live.operatorId]);
  const counts = countsOf(inbox, live.operatorId);
  const open = (id: string) => navigate(`/inbox/${view}/${id}`);

  useEffect(() => {
    if (props.view !== view)
      navigate(`/inbox/${view}${props.conversationId ? `/${props.conversationId}` : ''}`, { replace: true });
  }, [props.view]);
  useEffect(() => {
    if (view === 'closed' && closedCursor === undefined) void live.loadClosed();
  }, [view, closedCursor]);

  const index = items.findIndex((item) => item.id === props.conversationId);
  const current = props.conversationId ? inbox.get(props.conversationId) : undefined;
  const shortcuts = useMemo<Shortcut[]>(() => {
    const step = (by: number) => () => {
      const next = items[Math.min(items.length - 1, Math.max(0, index + by))];
      if (next) open(next.id);
    };
    const focus = (mode: 'text' | 'note') => () =>
      document.dispatchEvent(new CustomEvent('plauder:compose', { detail: mode }));
    return [
      { key: 'j', label: 'Next', run: step(1) },
      { key: 'k', label: 'Previous', run: step(-1) },
      { key: 'r', label: 'Reply', run: focus('text') },
      { key: 'n', label: 'Note', run: focus('note') },
      { key: 'a', label: 'Accept', run: () => current?.status === 'waiting' && live.accept(current.id) },
      { key: 'e', label: 'Close', run: () => current && current.status !== 'closed' && live.close(current.id) },
      ...views.map((v, i) => ({ key: String(i + 1), label: v.label, run: () => navigate(`/inbox/${v.view}`) })),
      { key: '?', label: 'Shortcuts', run: () => setShowShortcuts(true) },
    ];
  }, [items, index, current, view]);
  useShortcuts(shortcuts);

  return (
    <div class="inbox">
      <aside class="inbox-list">
        <nav class="views" aria-label="Views">
          {views.map((v) => (
            <a key={v.view} href={href(`/inbox/${v.view}`)} aria-current={v.view === view ? 'page' : undefined}>
              {v.label}
              {v.view !== 'closed' && <span class="count">{counts[v.view]}</span>}
            </a>
          ))}
        </nav>
        {items.length === 0 ? (
          <p class="empty">{emptyText[view]}</p>
        ) : (
          <VirtualList
            label={`${views.find((v) => v.view === view)?.label} conversations`}
            items={items}
            rowHeight={ROW_HEIGHT}
            keyOf={(item) => item.id}
            activeIndex={index}
            renderRow={(item) => (
              <Row item={item} live={live} view={view} selected={item.id === props.conversationId} />
            )}
          />
        )}
        {view === 'closed' && closedCursor && (
          <button type="button" class="more" onClick={() => void live.loadClosed()}>
            Load older
          </button>
        )}
        <AlertToggles />
        <button type="button" class="link" onClick={() => setShowShortcuts(true)}>
          Keyboard shortcuts (?)
        </button>
      </aside>
      {props.conversationId ? (
        <ConversationPane
          key={props.conversationId}
          api={props.api}
          live={live}
          session={props.session}
          id={props.conversationId}
        />
      ) : (
        <section class="conversation-empty">
          <p>Choose a conversation. Press ? for the keyboard shortcuts.</p>
        </section>
      )}
      {showShortcuts && <ShortcutList onClose={() => setShowShortcuts(false)} />}
    </div>
  );
}

const emptyText: Record<View, string> = {
  waiting: 'Nobody is waiting.',
  mine: 'You have no open conversations.',
  open: 'No conversation is open.',
  closed: 'No closed conversations yet.',
};

function Row(props: { item: InboxItem; live: Live; view: View; selected: boolean }) {
  const { item } = props;
  const unread = isUnread(item) && item.status !== 'closed';
  return (
    <a
      href={href(`/inbox/${props.view}/${item.id}`)}
      class={`row${props.selected ? ' selected' : ''}${unread ? ' unread' : ''}`}
      aria-current={props.selected ? 'true' : undefined}
    >
      <span class="name">{titleOf(item)}</span>
      <span class="meta">
        {item.status !== 'open'
          ? item.status
          : item.operatorId === props.live.operatorId
            ? 'with you'
            : `with ${props.live.operatorName(item.operatorId) ?? 'a colleague'}`}
        {unread && <span class="dot" aria-label="unread" />}
      </span>
      <time dateTime={new Date(item.updatedAt).toISOString()}>{shortTime(item.updatedAt)}</time>
    </a>
  );
}

function AlertToggles() {
  const settings = useStore(alertSettings);
  return (
    <fieldset class="alerts">
      <legend>When someone waits</legend>
      {(
        [
          ['sound', 'Play a sound'],
          ['title', 'Count in the tab title'],
          ['notification', 'Browser notification'],
        ] as const
      ).map(([kind, label]) => (
        <label key={kind} class="check">
          <input
            type="checkbox"
            checked={settings[kind]}
            onChange={(event) => void setAlert(kind, (event.target as HTMLInputElement).checked)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}
