import type { ContactDetailDto, ContactPageDto, ContactSummaryDto, SessionDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, ApiError, type Api } from '../../api.js';
import { href, navigate } from '../../lib/router.js';
import { conversationPath } from '../../live/inbox.js';
import { may } from '../../roles.js';
import { shortTime } from '../../lib/time.js';
import { ContactExportButton } from '../privacy/export-data.js';

/** Contacts: the people visitors said they are, newest first, and one of them in full. */
export function ContactsPage(props: { api: Api; session: SessionDto; contactId: string | undefined }) {
  return (
    <div class="contacts">
      <ContactList api={props.api} selected={props.contactId} />
      {props.contactId ? (
        <ContactDetail key={props.contactId} api={props.api} session={props.session} id={props.contactId} />
      ) : (
        <section class="page">
          <p class="muted">Choose a contact.</p>
        </section>
      )}
    </div>
  );
}

function ContactList(props: { api: Api; selected: string | undefined }) {
  const [contacts, setContacts] = useState<ContactSummaryDto[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = async (from: string | null, filter: string) => {
    setError(null);
    const query = new URLSearchParams({ limit: '50' });
    if (from) query.set('cursor', from);
    try {
      // An email travels in the body, never in an address that proxies and logs keep.
      const page = filter
        ? await props.api.request<ContactPageDto>('POST', '/api/v1/contacts/find', { email: filter })
        : await props.api.request<ContactPageDto>('GET', `/api/v1/contacts?${query}`);
      setContacts((before) => (from ? [...before, ...page.contacts] : page.contacts));
      setCursor(page.nextCursor);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  useEffect(() => {
    void load(null, '');
  }, [props.selected === undefined]);

  return (
    <aside class="contact-list">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void load(null, email.trim());
        }}
      >
        <label>
          Find by email
          <input type="email" value={email} onInput={(event) => setEmail((event.target as HTMLInputElement).value)} />
        </label>
      </form>
      {error && <p class="error">{error}</p>}
      {contacts.length === 0 && !error && (
        <p class="muted">No contacts yet: they appear when visitors say who they are.</p>
      )}
      <ul>
        {contacts.map((contact) => (
          <li key={contact.id}>
            <a href={href(`/contacts/${contact.id}`)} aria-current={contact.id === props.selected ? 'true' : undefined}>
              <strong>{contact.name ?? contact.email ?? 'Unnamed'}</strong>
              <span class="muted">
                {contact.email ?? ''} · {contact.conversationCount} conversation
                {contact.conversationCount === 1 ? '' : 's'}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" class="more" onClick={() => void load(cursor, email.trim())}>
          More
        </button>
      )}
    </aside>
  );
}

function ContactDetail(props: { api: Api; session: SessionDto; id: string }) {
  const [contact, setContact] = useState<ContactDetailDto | null>(null);
  const [draft, setDraft] = useState({ name: '', email: '', phone: '', notes: '' });
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const path = `/api/v1/contacts/${encodeURIComponent(props.id)}`;
  const show = (found: ContactDetailDto) => {
    setContact(found);
    setDraft({ name: found.name ?? '', email: found.email ?? '', phone: found.phone ?? '', notes: found.notes ?? '' });
  };
  useEffect(() => {
    props.api
      .request<ContactDetailDto>('GET', path)
      .then(show)
      .catch((caught: unknown) => setError(errorText(caught)));
  }, [props.id]);

  if (!contact)
    return <section class="page">{error ? <p class="error">{error}</p> : <p class="loading">Loading…</p>}</section>;

  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
    try {
      show(
        await props.api.request<ContactDetailDto>('PATCH', path, {
          name: orNull(draft.name),
          email: orNull(draft.email),
          phone: orNull(draft.phone),
          notes: draft.notes.trim() === '' ? null : draft.notes,
        }),
      );
      setSaved(true);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.code === 'validation_failed'
          ? `Check the fields: ${caught.message}`
          : errorText(caught),
      );
    }
  };
  const erase = async () => {
    setError(null);
    try {
      await props.api.request('DELETE', path);
      navigate('/contacts');
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const field = (key: keyof typeof draft) => (event: Event) =>
    setDraft({ ...draft, [key]: (event.target as HTMLInputElement | HTMLTextAreaElement).value });

  return (
    <section class="page contact-detail">
      <h1>{contact.name ?? contact.email ?? 'Unnamed contact'}</h1>
      <form class="stack" onSubmit={(event) => void save(event)}>
        <label>
          Name
          <input value={draft.name} onInput={field('name')} />
        </label>
        <label>
          Email
          <input type="email" value={draft.email} onInput={field('email')} />
        </label>
        <label>
          Phone
          <input value={draft.phone} onInput={field('phone')} />
        </label>
        <label>
          Notes
          <textarea rows={4} value={draft.notes} onInput={field('notes')} />
        </label>
        {error && <p class="error">{error}</p>}
        {saved && <p class="muted">Saved.</p>}
        <button type="submit">Save</button>
      </form>
      <h2>Conversations</h2>
      <ul>
        {contact.conversations.map((conversation) => (
          <li key={conversation.id}>
            <a href={href(conversationPath(conversation))}>
              {shortTime(conversation.createdAt)} · {conversation.status}
            </a>
          </li>
        ))}
      </ul>
      {may(props.session.operator.role, 'exportContact') && (
        <ContactExportButton api={props.api} contactId={contact.id} />
      )}
      {may(props.session.operator.role, 'deleteContact') && (
        <div class="danger">
          <h2>Delete</h2>
          <p>Deletes this contact and every conversation of theirs, with messages and files. This cannot be undone.</p>
          {confirming ? (
            <>
              <button type="button" class="destructive" onClick={() => void erase()}>
                Delete contact and {contact.conversations.length} conversation
                {contact.conversations.length === 1 ? '' : 's'}
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Delete contact…
            </button>
          )}
        </div>
      )}
    </section>
  );
}
