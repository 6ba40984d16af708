import type { SessionDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../../api.js';
import { useStore } from '../../lib/store.js';
import { titleOf } from '../../live/inbox.js';
import type { Live } from '../../live/live.js';
import { may } from '../../roles.js';
import { Composer } from './composer.js';
import { Transcript } from './transcript.js';
import { VisitorPanel } from './visitor-panel.js';

/**
 * One conversation: its header with the actions the operator may take, the transcript, the
 * composer, and the visitor panel. Opening it follows it live; leaving it stops following (unless held).
 */
export function ConversationPane(props: { api: Api; live: Live; session: SessionDto; id: string }) {
  const { live, id } = props;
  const thread = useStore(live.conversations.thread(id));
  const inbox = useStore(live.inbox);
  const presences = useStore(live.presences);
  const operators = useStore(live.operators);
  const [receiver, setReceiver] = useState('');
  // A closed (terminated) account reads only: the actions that change a conversation are off.
  const readOnly = useStore(live.readOnly);
  // Translate is offered while translation runs: read as the pane opens, so a change meanwhile shows.
  const translates = useStore(live.functions)?.some((f) => f.function === 'translation' && f.active) ?? false;
  useEffect(() => {
    void live.loadFunctions();
  }, []);
  const item = inbox.get(id);
  useEffect(() => {
    void live.follow(id);
    return () => live.unfollow(id);
  }, [id]);

  if (thread.loadError && !thread.loaded) {
    return (
      <section class="conversation">
        <p class="error">This conversation cannot be shown: {thread.loadError}</p>
      </section>
    );
  }
  if (!item || !thread.loaded) {
    return (
      <section class="conversation">
        <p class="loading">Loading…</p>
      </section>
    );
  }

  const me = live.operatorId;
  const role = props.session.operator.role;
  const holds = item.status === 'open' && item.operatorId === me;
  const mayTransfer = item.status === 'open' && (holds || may(role, 'assignConversation'));
  const mayAssign = item.status === 'waiting' && may(role, 'assignConversation');
  // Receivers must be connected and not offline.
  const receivers = operators.filter(
    (o) => o.id !== item.operatorId && (presences.get(o.id) ?? 'offline') !== 'offline',
  );
  const title = titleOf(item);
  const holder = live.operatorName(item.operatorId);

  return (
    <section class="conversation" aria-label={`Conversation with ${title}`}>
      <header class="conversation-head">
        <div>
          <h2>{title}</h2>
          <p class="status">
            {item.status === 'waiting' && 'Waiting'}
            {item.status === 'open' && (holds ? 'Open, with you' : `Open, with ${holder ?? 'a colleague'}`)}
            {item.status === 'closed' && 'Closed'}
          </p>
        </div>
        <div class="actions">
          {item.status === 'waiting' && (
            <button type="button" disabled={readOnly} onClick={() => live.accept(id)}>
              Accept
            </button>
          )}
          {(mayTransfer || mayAssign) && !readOnly && (
            <form
              class="transfer"
              onSubmit={(event) => {
                event.preventDefault();
                if (!receiver) return;
                if (mayAssign) live.assign(id, receiver);
                else live.transfer(id, receiver);
                setReceiver('');
              }}
            >
              <label>
                <span class="sr-only">{mayAssign ? 'Assign to' : 'Transfer to'}</span>
                <select value={receiver} onChange={(event) => setReceiver((event.target as HTMLSelectElement).value)}>
                  <option value="">{mayAssign ? 'Assign to…' : 'Transfer to…'}</option>
                  {receivers.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.displayName} ({presences.get(o.id)})
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" disabled={!receiver}>
                {mayAssign ? 'Assign' : 'Transfer'}
              </button>
            </form>
          )}
          {item.status !== 'closed' && (
            <button type="button" disabled={readOnly} onClick={() => live.close(id)}>
              Close
            </button>
          )}
        </div>
      </header>
      <div class="conversation-body">
        <div class="conversation-main">
          <Transcript
            api={props.api}
            live={live}
            thread={thread}
            me={me}
            mayDelete={may(role, 'deleteMessage')}
            mayTranslate={translates}
          />
          <Composer api={props.api} live={live} item={item} holds={holds} />
        </div>
        <VisitorPanel thread={thread} />
      </div>
    </section>
  );
}
