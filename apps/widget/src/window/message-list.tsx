import type { WidgetConfig } from '@plauder/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatClient, ShownMessage } from './chat-client.js';
import { linkify } from './linkify.js';
import type { Strings } from './strings.js';

/** A message's text: text nodes and http(s) links only, never HTML; isolated so bidi controls stay inside. */
export function MessageText({ text }: { text: string }) {
  return (
    <bdi class="text" dir="auto">
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
            {part.text}
          </a>
        ) : (
          part.text
        ),
      )}
    </bdi>
  );
}

/** An operator's initials on the accent color: the avatar, drawn without loading anything. */
export function Avatar({ name }: { name: string }) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() ?? '')
    .join('');
  return (
    <span class="avatar" aria-hidden="true">
      {initials || '?'}
    </span>
  );
}

function Attachment({ message, client, t }: { message: ShownMessage; client: ChatClient; t: Strings }) {
  const attachment = message.attachment;
  const [url, setUrl] = useState<string | null>(null);
  const isImage = attachment?.contentType.startsWith('image/') ?? false;
  useEffect(() => {
    if (!attachment || !isImage) return;
    let created: string | null = null;
    client
      .fetchAttachment(attachment.id)
      .then((blob) => setUrl((created = URL.createObjectURL(blob))))
      .catch(() => setUrl(null));
    return () => {
      if (created) URL.revokeObjectURL(created);
    };
  }, [attachment?.id]);
  if (!attachment) return null;
  if (isImage && url) return <img class="preview" src={url} alt={t.image(message.body)} />;
  const download = () =>
    void client
      .fetchAttachment(attachment.id)
      .then((blob) => {
        const link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = message.body;
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      })
      // Erased meanwhile, or no connection: the button stays for another try.
      .catch(() => undefined);
  return (
    <button type="button" class="file" onClick={download}>
      {t.download(message.body)}
    </button>
  );
}

/** The conversation: a live region, so screen readers announce new messages. */
export function MessageList(props: {
  state: ChatClient['state'];
  client: ChatClient;
  config: WidgetConfig;
  t: Strings;
  locale: string;
}) {
  const { state, client, config, t } = props;
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [state.messages.length, state.operatorTyping]);
  const time = new Intl.DateTimeFormat(props.locale, { hour: '2-digit', minute: '2-digit' });
  const lastVisitorSeq = Math.max(
    0,
    ...state.messages.filter((m) => m.authorKind === 'visitor').map((m) => m.seq ?? 0),
  );
  const operatorLabel = (m?: ShownMessage) =>
    config.operatorDisplay === 'hidden' ? t.team : (m?.operatorName ?? state.operatorName ?? t.team);
  return (
    <div class="log" role="log" aria-live="polite" aria-relevant="additions">
      <p class="bubble operator greeting">
        <MessageText text={config.greeting ?? t.greeting} />
      </p>
      {state.messages.map((m) => {
        const mine = m.authorKind === 'visitor';
        const status = m.failed
          ? (t.errors[m.failed] ?? t.failed)
          : m.pending
            ? t.sending
            : m.seq !== null && m.seq === lastVisitorSeq && state.readSeq >= m.seq
              ? t.read
              : t.sent;
        return (
          <div key={m.key} class={`row ${mine ? 'mine' : 'theirs'}`}>
            {!mine && config.operatorDisplay === 'name-and-avatar' && <Avatar name={operatorLabel(m)} />}
            <div class={`bubble ${mine ? 'visitor' : 'operator'}${m.failed ? ' failed' : ''}`}>
              {!mine && config.operatorDisplay !== 'hidden' && <span class="author">{operatorLabel(m)}</span>}
              {m.attachment ? <Attachment message={m} client={client} t={t} /> : <MessageText text={m.body} />}
              <span class="meta">
                <time dateTime={new Date(m.createdAt).toISOString()}>{time.format(m.createdAt)}</time>
                {mine && <span> · {status}</span>}
              </span>
            </div>
          </div>
        );
      })}
      {state.operatorTyping && <p class="typing">{t.typing(operatorLabel())}</p>}
      <div ref={end} />
    </div>
  );
}
