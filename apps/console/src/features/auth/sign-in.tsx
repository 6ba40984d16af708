import type { SessionDto } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { ApiError, type Api } from '../../api.js';

const MESSAGES: Record<string, string> = {
  invalid_credentials: 'Email or password is wrong.',
  totp_invalid: 'That code is wrong or was used already. Try the next one.',
  too_many_attempts: 'Too many attempts. Wait a few minutes, then try again.',
  validation_failed: 'Check the email address and the code (6 digits).',
  unavailable: 'The installation cannot be reached. Check the connection.',
};

/** Sign-in: email and password, then the authenticator's code when two-factor login is on. */
export function SignIn(props: { api: Api; expired: boolean; onSignedIn: (session: SessionDto) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await props.api.request<SessionDto>('POST', '/api/v1/auth/login', {
        email,
        password,
        ...(needsCode ? { totp } : {}),
      });
      props.onSignedIn(session);
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.code : 'unavailable';
      if (code === 'totp_required') setNeedsCode(true);
      else setError(MESSAGES[code] ?? (caught instanceof Error ? caught.message : 'Sign-in failed.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Plauder</h1>
        {props.expired && (
          <p role="status" class="note">
            Your session ended. Sign in again to go on where you were.
          </p>
        )}
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <label>
          Email
          <input
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {needsCode && (
          <label>
            Code from your authenticator app
            <input
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="\d{6}"
              required
              ref={(input) => input?.focus()}
              value={totp}
              onInput={(e) => setTotp(e.currentTarget.value.trim())}
            />
          </label>
        )}
        <button type="submit" disabled={busy}>
          {needsCode ? 'Verify and sign in' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
