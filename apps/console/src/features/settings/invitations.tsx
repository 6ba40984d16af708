import type {
  IssuedOperatorInvitationDto,
  NewOperatorInvitation,
  OperatorInvitationDto,
  Role,
  SessionDto,
} from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import {
  ConfirmButton,
  CopyText,
  ErrorLine,
  fieldErrors,
  formatTime,
  formErrorText,
  grantableRoles,
} from './settings-ui.js';

/**
 * Invitations of new colleagues: the form, the link of the one just made (shown once: it is the
 * invitee's way in), and the pending ones, which can be revoked.
 */
export function Invitations(props: { api: Api; session: SessionDto }) {
  const { api } = props;
  const [pending, setPending] = useState<OperatorInvitationDto[] | null>(null);
  const [issued, setIssued] = useState<IssuedOperatorInvitationDto | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () =>
    api
      .request<{ invitations: OperatorInvitationDto[] }>('GET', '/api/v1/operator-invitations')
      .then((found) => setPending(found.invitations), setError);
  useEffect(() => {
    void load();
  }, []);

  const revoke = async (invitation: OperatorInvitationDto) => {
    setError(null);
    try {
      await api.request('DELETE', `/api/v1/operator-invitations/${invitation.id}`);
      if (issued?.id === invitation.id) setIssued(null);
    } catch (caught) {
      setError(caught);
    }
    await load();
  };

  return (
    <>
      <h3>Invite a colleague</h3>
      <InvitationForm
        api={api}
        roles={grantableRoles(props.session.operator.role)}
        onIssued={(invitation) => {
          setIssued(invitation);
          void load();
        }}
      />
      {issued && (
        <div class="settings-issued" role="status">
          <p>
            Invitation for {issued.email} created. Send them this link; it is shown only now and works once, until{' '}
            {formatTime(issued.expiresAt)}.
          </p>
          <CopyText label="Invitation link" value={issued.inviteUrl} />
          <button type="button" onClick={() => setIssued(null)}>
            Done
          </button>
        </div>
      )}
      <h3>Pending invitations</h3>
      <ErrorLine text={error ? errorText(error) : null} />
      {pending === null ? (
        !error && <p class="loading">Loading…</p>
      ) : pending.length === 0 ? (
        <p>No pending invitations.</p>
      ) : (
        <ul class="invitation-list">
          {pending.map((invitation) => (
            <li key={invitation.id}>
              <span>
                {invitation.email}, {invitation.role}; valid until {formatTime(invitation.expiresAt)}
              </span>
              <ConfirmButton
                label="Revoke"
                question={`Revoke the invitation of ${invitation.email}?`}
                confirm="Revoke"
                onConfirm={() => void revoke(invitation)}
              />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function InvitationForm(props: {
  api: Api;
  roles: Role[];
  onIssued: (invitation: IssuedOperatorInvitationDto) => void;
}) {
  const [draft, setDraft] = useState<NewOperatorInvitation>({ email: '', role: 'operator' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const invite = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onIssued(
        await props.api.request<IssuedOperatorInvitationDto>('POST', '/api/v1/operator-invitations', draft),
      );
      setDraft({ email: '', role: 'operator' });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrors(error);
  return (
    <form class="settings-form" aria-label="Invite a colleague" onSubmit={(event) => void invite(event)}>
      <ErrorLine text={formErrorText(error, fields)} />
      <label>
        Email
        <input
          type="email"
          required
          maxLength={320}
          value={draft.email}
          onInput={(e) => setDraft({ ...draft, email: e.currentTarget.value })}
        />
      </label>
      <ErrorLine text={fields.get('email')} />
      <label>
        Role
        <select
          value={draft.role}
          onChange={(e) => {
            const value = e.currentTarget.value;
            setDraft({ ...draft, role: props.roles.find((role) => role === value) ?? 'operator' });
          }}
        >
          {props.roles.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      </label>
      <div class="settings-row">
        <button type="submit" disabled={busy}>
          Invite
        </button>
      </div>
    </form>
  );
}
