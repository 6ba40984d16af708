import type { WidgetConfig } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import type { ChatClient } from './chat-client.js';
import type { Strings } from './strings.js';
import { downloadBlob } from './transcript.js';

/** The privacy notice (the account's own text, or the language's), with the link to the account's policy. */
export function PrivacyNotice(props: { config: WidgetConfig; t: Strings; id?: string }) {
  const { config, t } = props;
  return (
    <p id={props.id} class="notice">
      {config.privacy.noticeText ?? t.notice}{' '}
      {config.privacy.policyUrl && (
        <a href={config.privacy.policyUrl} target="_blank" rel="noopener noreferrer nofollow">
          {t.policy}
        </a>
      )}
    </p>
  );
}

/** The privacy notice before the first message; with opt-in on, its button is the visitor's consent. */
export function ConsentPanel(props: { config: WidgetConfig; t: Strings; onAccept: () => void }) {
  const { config, t } = props;
  return (
    <section class="panel" aria-labelledby="notice">
      <p class="greeting-text">{config.greeting ?? t.greeting}</p>
      <PrivacyNotice id="notice" config={config} t={t} />
      <button type="button" class="primary" data-autofocus onClick={props.onAccept}>
        {t.accept}
      </button>
    </section>
  );
}

/** The offline form: a message and, if the visitor wants an answer by mail, their email. */
export function OfflineForm(props: { client: ChatClient; t: Strings; outsideHours: boolean }) {
  const { client, t } = props;
  const [body, setBody] = useState('');
  const [email, setEmail] = useState('');
  const [sending, setSending] = useState(false);
  if (client.state.offlineSent)
    return (
      <p class="panel status" role="status">
        {t.offlineSent}
      </p>
    );
  return (
    <form
      class="panel"
      onSubmit={(event) => {
        event.preventDefault();
        if (!body.trim() || sending) return;
        // Once: the outbox sends it again after a lost connection, so a second click would be a second message.
        setSending(true);
        client.sendOfflineMessage({ body: body.trim(), email: email.trim() || undefined });
      }}
    >
      <p>{props.outsideHours ? t.offlineHours : t.offlineTitle}</p>
      <label>
        {t.composer}
        <textarea
          data-autofocus
          required
          maxLength={5000}
          value={body}
          onInput={(e) => setBody(e.currentTarget.value)}
        />
      </label>
      <label>
        {t.email}
        <input type="email" maxLength={320} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={sending}>
        {t.offlineSend}
      </button>
    </form>
  );
}

/** After the end: rating, transcript, deletion, a new start. */
export function EndedPanel(props: { client: ChatClient; t: Strings; onTranscript: () => void }) {
  const { client, t } = props;
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState('');
  return (
    <section class="panel ended">
      <p role="status">{t.ended}</p>
      {client.state.rated ? (
        <p role="status">{t.rated}</p>
      ) : (
        <fieldset>
          <legend>{t.rate}</legend>
          <div class="stars">
            {[1, 2, 3, 4, 5].map((n) => (
              <button
                key={n}
                type="button"
                data-autofocus={n === 1 ? true : undefined}
                class={n <= rating ? 'star on' : 'star'}
                aria-pressed={n === rating}
                aria-label={t.stars(n)}
                onClick={() => setRating(n)}
              >
                ★
              </button>
            ))}
          </div>
          <label>
            {t.comment}
            <textarea maxLength={2000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
          <button
            type="button"
            class="primary"
            disabled={rating === 0}
            onClick={() => client.rate(rating, comment.trim() || undefined)}
          >
            {t.rateSend}
          </button>
        </fieldset>
      )}
      <div class="actions">
        <button type="button" onClick={props.onTranscript}>
          {t.transcript}
        </button>
        {client.state.transcriptByEmail && <EmailTranscript client={client} t={t} />}
        <OwnDataButton client={client} t={t} />
        <DeleteButton client={client} t={t} />
        <button type="button" onClick={() => client.reset()}>
          {t.newConversation}
        </button>
      </div>
    </section>
  );
}

/** "Email me the transcript": offered when the website sends email; the address goes with this request only. */
function EmailTranscript({ client, t }: { client: ChatClient; t: Strings }) {
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const asked = client.state.transcriptEmail;
  if (asked === 'sent')
    return (
      <p class="status" role="status">
        {t.transcriptEmailed}
      </p>
    );
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {t.transcriptEmail}
      </button>
    );
  return (
    <form
      class="confirm"
      onSubmit={(event) => {
        event.preventDefault();
        if (email.trim()) client.requestTranscript(email.trim());
      }}
    >
      <label>
        {t.transcriptTo}
        <input
          type="email"
          required
          maxLength={320}
          ref={(input) => {
            if (!email) input?.focus();
          }}
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary" disabled={asked === 'sending'}>
        {t.transcriptSend}
      </button>
    </form>
  );
}

/** "Download my data": everything the server keeps of this visitor's chats, as a zip (GDPR Art. 15). */
export function OwnDataButton({ client, t }: { client: ChatClient; t: Strings }) {
  const [busy, setBusy] = useState(false);
  const download = () => {
    setBusy(true);
    client
      .fetchOwnData()
      .then((blob) => downloadBlob('chat-data.zip', blob))
      // No connection, or asked too often: the button stays for another try.
      .catch(() => undefined)
      .finally(() => setBusy(false));
  };
  return (
    <button type="button" disabled={busy} onClick={download}>
      {t.ownData}
    </button>
  );
}

/** "Delete this conversation", with a confirmation step. */
export function DeleteButton({ client, t }: { client: ChatClient; t: Strings }) {
  const [asking, setAsking] = useState(false);
  const [sent, setSent] = useState(false);
  if (!asking)
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        {t.remove}
      </button>
    );
  return (
    <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
      <p id="confirm-text">{t.removeConfirm}</p>
      <button
        type="button"
        class="danger"
        data-autofocus
        ref={(b) => b?.focus()}
        disabled={sent}
        onClick={() => {
          setSent(true);
          client.delete();
          // Without a connection nothing was sent: the visitor may try again.
          if (client.state.error === 'unavailable') setSent(false);
        }}
      >
        {t.removeYes}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t.removeNo}
      </button>
    </div>
  );
}
