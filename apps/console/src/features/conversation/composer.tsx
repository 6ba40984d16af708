import type { CannedResponseDto, MessageDto } from '@plauder/protocol';
import { newClientMessageId } from '@plauder/protocol/ids';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { useStore } from '../../lib/store.js';
import type { InboxItem } from '../../live/inbox.js';
import type { Live } from '../../live/live.js';

/** A `typing` frame goes out at most this often while the operator types, and stops after a pause. */
const TYPING_REPEAT_MS = 3000;
const TYPING_PAUSE_MS = 4000;

/**
 * The composer: replies (the holder only) and internal notes (anyone), a canned response by typing
 * `/` and its shortcut, files, and the typing indicator for the visitor. The draft is kept per
 * conversation, through switching, a lost connection and a new sign-in.
 */
export function Composer(props: { api: Api; live: Live; item: InboxItem; holds: boolean }) {
  const { live, item } = props;
  const id = item.id;
  const saved = live.conversations.drafts.get(id);
  const [text, setText] = useState(saved?.text ?? '');
  // null: not chosen, so a reply wherever the operator may reply (also once they accept), else a note.
  const [kind, setKind] = useState<'text' | 'note' | null>(saved?.kind ?? null);
  const [picked, setPicked] = useState(0);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const typing = useRef<{ sentAt: number; timer?: ReturnType<typeof setTimeout> }>({ sentAt: 0 });
  const canned = useStore(live.cannedResponses);
  const closed = item.status === 'closed';
  // A closed (terminated) account reads only: nothing is sent, the draft is kept.
  const readOnly = useStore(live.readOnly);
  const mayReply = props.holds && !closed && !readOnly;
  const mode = mayReply ? (kind ?? 'text') : 'note';

  useEffect(() => {
    live.conversations.drafts.set(id, { text, kind });
  }, [id, text, kind]);
  useEffect(() => {
    const onCompose = (event: Event) => {
      const wanted = (event as CustomEvent<'text' | 'note'>).detail;
      setKind(wanted);
      field.current?.focus();
    };
    document.addEventListener('plauder:compose', onCompose);
    return () => document.removeEventListener('plauder:compose', onCompose);
  }, []);
  useEffect(() => () => stopTyping(), []);

  const matches = useMemo(() => cannedMatches(canned, text), [canned, text]);

  const stopTyping = () => {
    clearTimeout(typing.current.timer);
    if (typing.current.sentAt > 0) live.conversations.typing(id, false);
    typing.current = { sentAt: 0 };
  };
  const onInput = (value: string) => {
    setText(value);
    setPicked(0);
    if (mode !== 'text' || value.trim() === '') return stopTyping();
    const now = Date.now();
    if (now - typing.current.sentAt > TYPING_REPEAT_MS) {
      live.conversations.typing(id, true);
      typing.current.sentAt = now;
    }
    clearTimeout(typing.current.timer);
    typing.current.timer = setTimeout(stopTyping, TYPING_PAUSE_MS);
  };
  const send = () => {
    const body = text.trim();
    if (!body || readOnly || (closed && mode === 'text')) return;
    stopTyping();
    live.conversations.send(id, body, mode);
    setText('');
  };
  const pick = (response: CannedResponseDto) => {
    setText(response.body);
    setPicked(0);
    field.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (matches.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        setPicked((i) => (i + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        pick(matches[picked] ?? matches[0]!);
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  };
  const upload = async (chosen: File) => {
    setUploadError(null);
    const query = new URLSearchParams({ clientMessageId: newClientMessageId(), fileName: chosen.name });
    try {
      const stored = await props.api.upload<Pick<MessageDto, 'seq' | 'attachment'> & { messageId: string }>(
        `/api/v1/conversations/${encodeURIComponent(id)}/attachments?${query}`,
        chosen,
      );
      live.conversations.received({
        id: stored.messageId,
        conversationId: id,
        seq: stored.seq,
        authorKind: 'operator',
        kind: 'text',
        body: chosen.name,
        createdAt: Date.now(),
        ...(stored.attachment ? { attachment: stored.attachment } : {}),
      });
    } catch (error) {
      setUploadError(errorText(error));
    }
  };

  return (
    <form
      class={`composer mode-${mode}`}
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      {readOnly && <p class="note">This account is closed: the console is read-only. Your draft is kept.</p>}
      {!readOnly && closed && (
        <p class="note">This conversation is closed. You can still add a note; your draft is kept.</p>
      )}
      {!readOnly && !closed && !props.holds && (
        <p class="muted">Only the operator who holds this conversation replies; you can add notes.</p>
      )}
      <div class="modes" role="radiogroup" aria-label="Write">
        <label class="check">
          <input
            type="radio"
            name={`mode-${id}`}
            checked={mode === 'text'}
            disabled={!mayReply}
            onChange={() => setKind('text')}
          />
          Reply
        </label>
        <label class="check">
          <input type="radio" name={`mode-${id}`} checked={mode === 'note'} onChange={() => setKind('note')} />
          Internal note
        </label>
      </div>
      {matches.length > 0 && (
        <ul class="canned" role="listbox" aria-label="Canned responses">
          {matches.map((response, index) => (
            <li
              key={response.id}
              role="option"
              aria-selected={index === picked}
              onMouseDown={(event) => {
                event.preventDefault();
                pick(response);
              }}
            >
              <strong>/{response.shortcut}</strong> {response.title}
            </li>
          ))}
        </ul>
      )}
      <label class="field">
        <span class="sr-only">{mode === 'note' ? 'Internal note' : 'Reply'}</span>
        <textarea
          ref={field}
          rows={3}
          value={text}
          disabled={readOnly}
          placeholder={
            mode === 'note'
              ? 'A note for your colleagues (the visitor never sees it)'
              : 'Reply… (/ for canned responses)'
          }
          onInput={(event) => onInput((event.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
      </label>
      {uploadError && <p class="error">The file was not sent: {uploadError}</p>}
      <div class="composer-actions">
        <input
          ref={file}
          type="file"
          hidden
          onChange={(event) => {
            const input = event.target as HTMLInputElement;
            const chosen = input.files?.[0];
            input.value = '';
            if (chosen) void upload(chosen);
          }}
        />
        <button type="button" disabled={!mayReply} onClick={() => file.current?.click()}>
          Attach file
        </button>
        <button type="submit" disabled={readOnly || text.trim() === ''}>
          {mode === 'note' ? 'Add note' : 'Send'}
        </button>
      </div>
    </form>
  );
}

/** The canned responses a composer text that starts with `/` asks for, by shortcut or title. */
export function cannedMatches(canned: readonly CannedResponseDto[], text: string): CannedResponseDto[] {
  if (!text.startsWith('/') || /\s/.test(text)) return [];
  const wanted = text.slice(1).toLowerCase();
  return canned
    .filter((response) => response.shortcut.startsWith(wanted) || response.title.toLowerCase().includes(wanted))
    .slice(0, 8);
}
