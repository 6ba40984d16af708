import type { MessageDto } from '@plauder/protocol';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { clock } from '../../lib/time.js';
import type { Live } from '../../live/live.js';
import { lastSeqOf, type PendingMessage, type Thread } from '../../live/thread.js';
import { TranslateMessage, type TranslateOptions } from './translate-message.js';
import { defaultTargetLang, isTranslatable, languageOptions } from './translation.js';

/** How many of the newest messages are drawn at first; scrolling up draws (and loads) more. */
export const FIRST_SHOWN = 120;
const MORE_SHOWN = 100;
const NEAR_EDGE_PX = 120;

/**
 * The transcript: the newest messages drawn, older ones drawn as the operator scrolls up (and
 * fetched page by page when not loaded yet), so a 2,000-message conversation opens as fast as a
 * short one. Follows the bottom while the operator is there.
 */
export function Transcript(props: {
  api: Api;
  live: Live;
  thread: Thread;
  me: string;
  /** Offer "Delete message" on each message (admins and owners). */
  mayDelete?: boolean;
  /** Offer "Translate" on each text message (while machine translation runs for the account). */
  mayTranslate?: boolean;
}) {
  const { thread, live } = props;
  const ownLang = useMemo(() => defaultTargetLang(navigator.language), []);
  const [targetLang, setTargetLang] = useState(ownLang);
  const box = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState(FIRST_SHOWN);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const anchor = useRef<{ fromBottom: number } | null>(null);
  const atBottom = useRef(true);

  const messages = thread.messages;
  const visible = messages.slice(Math.max(0, messages.length - shown));
  const hidden = messages.length - visible.length;
  const lastSeq = lastSeqOf(thread);

  const revealEarlier = async () => {
    const element = box.current;
    if (!element || loadingEarlier) return;
    if (hidden === 0 && !thread.hasMore) return;
    anchor.current = { fromBottom: element.scrollHeight - element.scrollTop };
    if (hidden === 0) {
      setLoadingEarlier(true);
      try {
        await live.conversations.loadEarlier(thread.id);
      } finally {
        setLoadingEarlier(false);
      }
    }
    setShown((count) => count + MORE_SHOWN);
  };

  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    if (anchor.current) {
      element.scrollTop = element.scrollHeight - anchor.current.fromBottom;
      anchor.current = null;
    } else if (atBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [visible.length, lastSeq, thread.pending.length, thread.visitorTyping]);

  useEffect(() => {
    if (document.visibilityState === 'visible') live.markRead(thread.id);
  }, [lastSeq]);
  // What came while the console was in the background is read when the operator comes back.
  useEffect(() => {
    const onVisible = () => document.visibilityState === 'visible' && live.markRead(thread.id);
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [thread.id]);

  const onScroll = () => {
    const element = box.current;
    if (!element) return;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_EDGE_PX;
    if (element.scrollTop < NEAR_EDGE_PX) void revealEarlier();
  };

  const readUpTo = thread.visitorReadSeq;
  return (
    <div ref={box} class="transcript" onScroll={onScroll} aria-label="Transcript" role="log">
      {(hidden > 0 || thread.hasMore) && (
        <button type="button" class="link earlier" onClick={() => void revealEarlier()} disabled={loadingEarlier}>
          {loadingEarlier ? 'Loading…' : 'Show earlier messages'}
        </button>
      )}
      <MessageList
        messages={visible}
        readUpTo={readUpTo}
        onDelete={props.mayDelete ? (message) => live.conversations.deleteMessage(thread.id, message) : undefined}
        translate={
          props.mayTranslate
            ? { api: props.api, languages: languageOptions(ownLang), targetLang, onTargetLang: setTargetLang }
            : undefined
        }
      />
      {thread.pending.map((pending) => (
        <PendingItem key={pending.clientMessageId} pending={pending} live={live} conversationId={thread.id} />
      ))}
      {thread.visitorTyping && <p class="typing">The visitor is typing…</p>}
    </div>
  );
}

/**
 * Messages as the transcript draws them (also what `npm run bench -- console` measures). With
 * `onDelete`, each offers "Delete message", asked once more before it goes; with `translate`, each
 * text message offers "Translate".
 */
export function MessageList(props: {
  messages: readonly MessageDto[];
  readUpTo: number;
  onDelete?: (message: MessageDto) => Promise<void>;
  translate?: TranslateOptions;
}) {
  return (
    <ol class="messages">
      {props.messages.map((message) => (
        <MessageItem
          key={message.seq}
          message={message}
          read={message.authorKind === 'operator' && message.seq <= props.readUpTo}
          onDelete={props.onDelete}
          translate={props.translate}
        />
      ))}
    </ol>
  );
}

function MessageItem(props: {
  message: MessageDto;
  read: boolean;
  onDelete?: (message: MessageDto) => Promise<void>;
  translate?: TranslateOptions;
}) {
  const { message } = props;
  const author =
    message.authorKind === 'visitor'
      ? 'Visitor'
      : message.authorKind === 'system'
        ? 'Plauder'
        : (message.operatorName ?? 'Operator');
  return (
    <li
      class={`message from-${message.authorKind}${message.kind === 'note' ? ' note-message' : ''}`}
      data-seq={message.seq}
    >
      <div class="byline">
        <span class="author">{message.kind === 'note' ? `Note by ${author}` : author}</span>
        <time dateTime={new Date(message.createdAt).toISOString()}>{clock(message.createdAt)}</time>
        {message.authorKind === 'operator' && message.kind === 'text' && (
          <span class="state">{props.read ? 'Read' : 'Sent'}</span>
        )}
      </div>
      {message.attachment ? <Attachment message={message} /> : <p class="body">{message.body}</p>}
      {props.translate && isTranslatable(message) && <TranslateMessage {...props.translate} message={message} />}
      {props.onDelete && <DeleteMessage message={message} onDelete={props.onDelete} />}
    </li>
  );
}

/** "Delete message", then "Delete this message for good? Delete / Keep"; a refusal shows the API's reason. */
function DeleteMessage(props: { message: MessageDto; onDelete: (message: MessageDto) => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      // On success the message leaves the transcript, and this with it.
      await props.onDelete(props.message);
    } catch (caught) {
      setError(errorText(caught));
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <div class="message-tools">
      {asking ? (
        <span role="group" aria-label="Confirm deleting the message">
          Delete this message for good?{' '}
          <button type="button" class="link danger-link" disabled={busy} onClick={() => void remove()}>
            Delete
          </button>{' '}
          <button type="button" class="link" disabled={busy} onClick={() => setAsking(false)}>
            Keep
          </button>
        </span>
      ) : (
        <button type="button" class="link" onClick={() => setAsking(true)}>
          Delete message
        </button>
      )}
      {error && (
        <span class="error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </div>
  );
}

function Attachment(props: { message: MessageDto }) {
  const attachment = props.message.attachment!;
  const url = `/api/v1/attachments/${encodeURIComponent(attachment.id)}`;
  if (attachment.contentType.startsWith('image/')) {
    return (
      <a class="attachment" href={url} target="_blank" rel="noopener">
        <img src={url} alt={props.message.body} loading="lazy" />
      </a>
    );
  }
  return (
    <a class="attachment file" href={url} download={props.message.body}>
      {props.message.body} <span class="muted">({Math.ceil(attachment.sizeBytes / 1024)} KB)</span>
    </a>
  );
}

function PendingItem(props: { pending: PendingMessage; live: Live; conversationId: string }) {
  const { pending, live, conversationId } = props;
  return (
    <div class={`message from-operator pending${pending.kind === 'note' ? ' note-message' : ''}`}>
      <p class="body">{pending.body}</p>
      {pending.error ? (
        <p class="error" role="alert">
          Not sent: {pending.error.message}{' '}
          <button type="button" onClick={() => live.conversations.retry(conversationId, pending.clientMessageId)}>
            Send again
          </button>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(pending.body)}>
            Copy
          </button>{' '}
          <button type="button" onClick={() => live.conversations.discard(conversationId, pending.clientMessageId)}>
            Discard
          </button>
        </p>
      ) : (
        <p class="state">Sending…</p>
      )}
    </div>
  );
}
