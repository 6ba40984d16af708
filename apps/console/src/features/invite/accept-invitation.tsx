import type { AcceptInvitation as AcceptBody, SessionDto } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { ApiError, type Api } from '../../api.js';
import { navigate } from '../../lib/router.js';

/** The least password length the installation takes (AcceptInvitation in packages/protocol). */
const MIN_PASSWORD_CHARS = 10;

const MESSAGES: Record<string, string> = {
  invitation_invalid:
    'This invitation link has expired, was used already or was revoked. Ask whoever invited you for a new one.',
  conflict: 'An operator with this email address exists already. Sign in instead.',
  too_many_attempts: 'Too many attempts. Wait a few minutes, then try again.',
  unavailable: 'The installation cannot be reached. Check the connection.',
};

const PASSWORD_RULE = `Choose a password of at least ${MIN_PASSWORD_CHARS} characters.`;

/** What to tell the invitee about a refusal; a `validation_failed` names the field it is about. */
function problemOf(caught: unknown): string {
  if (!(caught instanceof ApiError)) return 'Joining failed. Try again.';
  if (caught.code !== 'validation_failed') return MESSAGES[caught.code] ?? caught.message;
  if (caught.message.includes('password')) return `The password is too weak. ${PASSWORD_RULE}`;
  if (caught.message.includes('displayName')) return 'Enter your name, up to 120 characters.';
  return `Check your entries: ${caught.message}`;
}

/**
 * Joining an account from an invitation link, `/app/invite#TOKEN` (the token in the fragment, which
 * no server log sees): a display name and a password, then the console, signed in as the new operator.
 */
export function AcceptInvitation(props: { api: Api; onSignedIn: (session: SessionDto) => void }) {
  const [token] = useState(() => decodeURIComponent(location.hash.slice(1)));
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (password.length < MIN_PASSWORD_CHARS) return setError(PASSWORD_RULE);
    if (password !== repeated) return setError('The two passwords differ. Type the same one twice.');
    setBusy(true);
    try {
      const body: AcceptBody = { token, displayName, password };
      const session = await props.api.request<SessionDto>('POST', '/api/v1/invitations/accept', body);
      navigate('/inbox/mine', { replace: true });
      props.onSignedIn(session);
    } catch (caught) {
      setError(problemOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form onSubmit={(event) => void submit(event)} aria-labelledby="invite-title">
        <h1 id="invite-title">Join Plauder</h1>
        {!token ? (
          <p role="alert" class="error">
            This link has no invitation in it. Open the whole link from the invitation again.
          </p>
        ) : (
          <p>You were invited to answer visitors' chats. Choose how colleagues see you, and your password.</p>
        )}
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <label>
          Your name
          <input
            autocomplete="name"
            required
            maxLength={120}
            value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autocomplete="new-password"
            required
            aria-describedby="password-help"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <label>
          Password again
          <input
            type="password"
            autocomplete="new-password"
            required
            value={repeated}
            onInput={(e) => setRepeated(e.currentTarget.value)}
          />
        </label>
        <p id="password-help" class="note">
          At least {MIN_PASSWORD_CHARS} characters; a few unrelated words make a good one.
        </p>
        <button type="submit" disabled={busy || !token}>
          Join and sign in
        </button>
      </form>
    </main>
  );
}
