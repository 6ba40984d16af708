import type { ApiTokenDto, TokenScope } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { ConfirmButton, CopyText, ErrorLine, fieldErrors, formatTime, formErrorText } from './settings-ui.js';

/**
 * The account's API tokens (admins and owners): the live ones, a new one whose secret is shown this
 * once, and revocation.
 */
export function ApiTokensSection(props: { api: Api }) {
  const { api } = props;
  const [tokens, setTokens] = useState<ApiTokenDto[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [issued, setIssued] = useState<{ token: ApiTokenDto; secret: string } | null>(null);

  const load = () =>
    api
      .request<{ tokens: ApiTokenDto[] }>('GET', '/api/v1/api-tokens')
      .then((found) => setTokens(found.tokens), setError);
  useEffect(() => {
    void load();
  }, []);

  const revoke = async (token: ApiTokenDto) => {
    setError(null);
    try {
      await api.request('DELETE', `/api/v1/api-tokens/${token.id}`);
      if (issued?.token.id === token.id) setIssued(null);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <>
      <h2>API tokens</h2>
      <p class="settings-help">
        A token lets another program use the REST API for this account, sent as <code>Authorization: Bearer …</code>. A
        read token reads only; a write token also changes.
      </p>
      <ErrorLine text={error ? errorText(error) : null} />
      {issued && (
        <div class="settings-issued" role="status">
          <p>Token “{issued.token.name}” created. Copy its secret now: it is not shown again.</p>
          <CopyText label="Secret" value={issued.secret} />
          <button type="button" onClick={() => setIssued(null)}>
            Done
          </button>
        </div>
      )}
      {tokens === null ? (
        !error && <p class="loading">Loading…</p>
      ) : tokens.length === 0 ? (
        <p>No API tokens yet.</p>
      ) : (
        <table class="settings-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>{token.scope}</td>
                <td>{formatTime(token.createdAt)}</td>
                <td>{token.lastUsedAt === null ? 'never' : formatTime(token.lastUsedAt)}</td>
                <td>{token.expiresAt === null ? 'never' : formatTime(token.expiresAt)}</td>
                <td>
                  <ConfirmButton
                    label="Revoke"
                    question={`Revoke “${token.name}”? Programs using it stop working.`}
                    confirm="Revoke"
                    onConfirm={() => void revoke(token)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NewTokenForm
        api={api}
        onCreated={(created) => {
          setIssued(created);
          void load();
        }}
      />
    </>
  );
}

/** Creates a token: a name, a scope and an optional lifetime in days. */
function NewTokenForm(props: { api: Api; onCreated: (issued: { token: ApiTokenDto; secret: string }) => void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<TokenScope>('read');
  const [days, setDays] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { name, scope, ...(days.trim() ? { expiresInDays: Number(days) } : {}) };
      props.onCreated(await props.api.request('POST', '/api/v1/api-tokens', body));
      setName('');
      setDays('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrors(error);
  return (
    <form class="settings-form" onSubmit={(event) => void create(event)} aria-labelledby="new-token">
      <h3 id="new-token">New API token</h3>
      <ErrorLine text={formErrorText(error, fields)} />
      <label>
        Name
        <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <ErrorLine text={fields.get('name')} />
      <label>
        Scope
        <select value={scope} onChange={(e) => setScope(e.currentTarget.value === 'write' ? 'write' : 'read')}>
          <option value="read">Read</option>
          <option value="write">Read and write</option>
        </select>
      </label>
      <label>
        Expires after (days, empty: never)
        <input type="number" min={1} max={3650} step={1} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
      </label>
      <ErrorLine text={fields.get('expiresInDays')} />
      <div class="settings-row">
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </div>
    </form>
  );
}
