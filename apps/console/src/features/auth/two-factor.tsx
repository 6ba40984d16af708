import type { SessionDto } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { ApiError, type Api } from '../../api.js';

/**
 * Two-factor login for oneself: a new secret to add to an authenticator app (by its otpauth link or
 * typed in), then a first code to turn it on.
 */
export function TwoFactor(props: { api: Api; session: SessionDto; onEnabled: () => void }) {
  const [setup, setSetup] = useState<{ secret: string; uri: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (props.session.operator.totpEnabled) return <p>Two-factor login is on.</p>;

  const begin = async () => {
    setError(null);
    try {
      setSetup(await props.api.request<{ secret: string; uri: string }>('POST', '/api/v1/auth/totp/setup'));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The setup failed.');
    }
  };
  const enable = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await props.api.request('POST', '/api/v1/auth/totp/enable', { code });
      props.onEnabled();
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.code === 'totp_invalid'
          ? 'That code is wrong. Check the time on your phone and try the next one.'
          : caught instanceof Error
            ? caught.message
            : 'Turning it on failed.',
      );
    }
  };

  return (
    <div class="two-factor">
      <p>Two-factor login is off.</p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!setup ? (
        <button type="button" onClick={() => void begin()}>
          Set up two-factor login
        </button>
      ) : (
        <form onSubmit={(event) => void enable(event)}>
          <p>
            Add this key to your authenticator app (or open <a href={setup.uri}>the setup link</a> on your phone):{' '}
            <code data-secret>{setup.secret}</code>
          </p>
          <label>
            First code from the app
            <input
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="\d{6}"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value.trim())}
            />
          </label>
          <button type="submit">Turn on</button>
        </form>
      )}
    </div>
  );
}
