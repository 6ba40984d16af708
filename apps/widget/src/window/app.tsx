import type { WidgetConfig } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Language } from '../language.js';
import { isWithinBusinessHours } from './business-hours.js';
import type { ChatClient, ChatState } from './chat-client.js';
import { Avatar, MessageList } from './message-list.js';
import { ConsentPanel, DeleteButton, EndedPanel, OfflineForm, OwnDataButton, PrivacyNotice } from './panels.js';
import { noticeVersion, STRINGS } from './strings.js';
import { downloadText, transcriptText } from './transcript.js';

/** The chat window. */
export function App(props: { client: ChatClient; config: WidgetConfig; language: Language; onClose: () => void }) {
  const { client, config, language } = props;
  const t = STRINGS[language];
  const [state, setState] = useState<ChatState>(client.state);
  const [consented, setConsented] = useState(client.consented);
  const [body, setBody] = useState('');
  const [confirmEnd, setConfirmEnd] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  useEffect(() => client.subscribe(setState), []);
  // With privacy opt-in, no session and no socket before the visitor consented.
  useEffect(() => {
    if (consented) client.connect();
  }, [consented]);

  const active = state.conversationId !== null && state.status !== 'closed';
  const outsideHours = !isWithinBusinessHours(config.businessHours, new Date());
  // Only before a conversation: one that ended keeps its rating, transcript and deletion on screen.
  const offline =
    state.conversationId === null && !state.deleted && (outsideHours || state.operatorsAvailable === false);
  const screen = state.deleted
    ? 'deleted'
    : !consented
      ? 'consent'
      : offline
        ? 'offline'
        : state.status === 'closed'
          ? 'ended'
          : 'chat';
  useEffect(() => {
    // A new screen takes the keyboard to its first control, while the visitor is in the window.
    if (document.hasFocus()) document.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }, [screen]);
  const showName = config.operatorDisplay !== 'hidden' && state.operatorName;
  const transcript = () =>
    downloadText(
      `conversation-${new Date().toISOString().slice(0, 10)}.txt`,
      transcriptText({ messages: state.messages, you: t.you, team: t.team, locale: language }),
    );
  const submit = (event: Event) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    client.send(text);
    setBody('');
  };

  return (
    <main class="window" onKeyDown={(e) => e.key === 'Escape' && props.onClose()}>
      <header class="header">
        {showName && config.operatorDisplay === 'name-and-avatar' && <Avatar name={state.operatorName ?? ''} />}
        <h1>{showName ? state.operatorName : t.title}</h1>
        <button type="button" class="icon" aria-label={t.close} onClick={props.onClose}>
          ×
        </button>
      </header>
      {state.connection === 'reconnecting' && (
        <p class="banner" role="status">
          {t.reconnecting}
        </p>
      )}
      {state.error && !state.messages.some((m) => m.failed === state.error) && (
        <p class="banner error" role="alert">
          {t.errors[state.error] ?? t.errors.other}
        </p>
      )}
      {state.deleted ? (
        <section class="panel">
          <p role="status">{t.removed}</p>
          <button type="button" class="primary" data-autofocus onClick={() => client.reset()}>
            {t.newConversation}
          </button>
        </section>
      ) : !consented ? (
        <ConsentPanel
          config={config}
          t={t}
          onAccept={() => {
            client.giveConsent(noticeVersion(config.privacy, language));
            setConsented(true);
          }}
        />
      ) : offline ? (
        <OfflineForm client={client} t={t} outsideHours={outsideHours} />
      ) : (
        <>
          {!config.privacy.optIn && <PrivacyNotice config={config} t={t} />}
          <MessageList state={state} client={client} config={config} t={t} locale={language} />
          {state.status === 'waiting' && (
            <p class="status" role="status">
              {state.queuePosition !== null ? t.queue(state.queuePosition) : t.waiting}
            </p>
          )}
          {state.status === 'closed' ? (
            <EndedPanel client={client} t={t} onTranscript={transcript} />
          ) : (
            <>
              {active && (
                <div class="actions">
                  {confirmEnd ? (
                    <button type="button" onClick={() => (client.end(), setConfirmEnd(false))}>
                      {t.end}?
                    </button>
                  ) : (
                    <button type="button" onClick={() => setConfirmEnd(true)}>
                      {t.end}
                    </button>
                  )}
                  <button type="button" onClick={transcript}>
                    {t.transcript}
                  </button>
                  <OwnDataButton client={client} t={t} />
                  <DeleteButton client={client} t={t} />
                </div>
              )}
              <form class="composer" onSubmit={submit}>
                <label class="sr-only" for="composer">
                  {t.composer}
                </label>
                <textarea
                  id="composer"
                  data-autofocus
                  rows={2}
                  maxLength={state.maxMessageChars}
                  placeholder={t.composer}
                  value={body}
                  onInput={(e) => {
                    setBody(e.currentTarget.value);
                    client.typing(e.currentTarget.value.length > 0);
                  }}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && !e.shiftKey) submit(e);
                  }}
                />
                <input
                  ref={fileInput}
                  type="file"
                  class="sr-only"
                  tabIndex={-1}
                  accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"
                  onChange={(e) => {
                    const file = e.currentTarget.files?.[0];
                    if (file) void client.sendFile(file);
                    e.currentTarget.value = '';
                  }}
                />
                <button type="button" class="icon" aria-label={t.attach} onClick={() => fileInput.current?.click()}>
                  +
                </button>
                <button type="submit" class="primary">
                  {t.send}
                </button>
              </form>
            </>
          )}
        </>
      )}
    </main>
  );
}
