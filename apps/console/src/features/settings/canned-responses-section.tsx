import type { CannedResponseDto, NewCannedResponse, SessionDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { may } from '../../roles.js';
import { ConfirmButton, ErrorLine, fieldErrors, formErrorText } from './settings-ui.js';

/**
 * The account's canned responses: every role reads them (operators insert them with /shortcut);
 * admins and owners add, change and delete them.
 */
export function CannedResponsesSection(props: { api: Api; session: SessionDto }) {
  const { api } = props;
  const editor = may(props.session.operator.role, 'manageAccount');
  const [responses, setResponses] = useState<CannedResponseDto[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () =>
    api
      .request<{ cannedResponses: CannedResponseDto[] }>('GET', '/api/v1/canned-responses')
      .then((found) => setResponses(found.cannedResponses), setError);
  useEffect(() => {
    void load();
  }, []);

  const remove = async (response: CannedResponseDto) => {
    setError(null);
    try {
      await api.request('DELETE', `/api/v1/canned-responses/${response.id}`);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <>
      <h2>Canned responses</h2>
      <p class="settings-help">
        Type <code>/shortcut</code> in a reply to insert one.
        {!editor && ' Admins and owners add and change them.'}
      </p>
      <ErrorLine text={error ? errorText(error) : null} />
      {responses === null ? (
        !error && <p class="loading">Loading…</p>
      ) : responses.length === 0 ? (
        <p>No canned responses yet.</p>
      ) : (
        <ul class="canned-list">
          {responses.map((response) =>
            editing === response.id ? (
              <li key={response.id}>
                <CannedResponseForm
                  api={api}
                  editing={response}
                  onDone={() => {
                    setEditing(null);
                    void load();
                  }}
                />
              </li>
            ) : (
              <li key={response.id}>
                <p>
                  <code>/{response.shortcut}</code> <strong>{response.title}</strong>
                </p>
                <p class="canned-body">{response.body}</p>
                {editor && (
                  <div class="settings-row">
                    <button type="button" onClick={() => setEditing(response.id)}>
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete /${response.shortcut}?`}
                      confirm="Delete"
                      onConfirm={() => void remove(response)}
                    />
                  </div>
                )}
              </li>
            ),
          )}
        </ul>
      )}
      {editor && <CannedResponseForm api={api} editing={null} onDone={() => void load()} />}
    </>
  );
}

/** Adds a canned response, or changes one (`editing`). */
function CannedResponseForm(props: { api: Api; editing: CannedResponseDto | null; onDone: () => void }) {
  const { editing } = props;
  const [draft, setDraft] = useState<NewCannedResponse>({
    shortcut: editing?.shortcut ?? '',
    title: editing?.title ?? '',
    body: editing?.body ?? '',
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (field: keyof NewCannedResponse) => (event: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [field]: event.currentTarget.value });

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (editing) await props.api.request('PATCH', `/api/v1/canned-responses/${editing.id}`, draft);
      else await props.api.request('POST', '/api/v1/canned-responses', draft);
      if (!editing) setDraft({ shortcut: '', title: '', body: '' });
      props.onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrors(error);
  const heading = editing ? `Change /${editing.shortcut}` : 'New canned response';
  return (
    <form class="settings-form" aria-label={heading} onSubmit={(event) => void save(event)}>
      {!editing && <h3>{heading}</h3>}
      <ErrorLine text={formErrorText(error, fields)} />
      <label>
        Shortcut
        <input required maxLength={33} placeholder="/hello" value={draft.shortcut} onInput={set('shortcut')} />
      </label>
      <ErrorLine text={fields.get('shortcut')} />
      <label>
        Title
        <input required maxLength={100} value={draft.title} onInput={set('title')} />
      </label>
      <ErrorLine text={fields.get('title')} />
      <label>
        Text
        <textarea required maxLength={5000} rows={4} value={draft.body} onInput={set('body')} />
      </label>
      <ErrorLine text={fields.get('body')} />
      <div class="settings-row">
        <button type="submit" disabled={busy}>
          {editing ? 'Save' : 'Add'}
        </button>
        {editing && (
          <button type="button" onClick={props.onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
