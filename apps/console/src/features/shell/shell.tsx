import type { SessionDto } from '@plauder/protocol';
import type { Api } from '../../api.js';
import { TwoFactor } from '../auth/two-factor.js';

/** The signed-in console: who is signed in, their own security settings, and sign-out. */
export function Shell(props: { api: Api; session: SessionDto; onSignOut: () => void; onRefresh: () => void }) {
  const { operator } = props.session;
  return (
    <div class="shell">
      <header>
        <strong>Plauder</strong>
        <span class="who">
          {operator.displayName} · {operator.role}
        </span>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main>
        <h1>Your account</h1>
        <p>
          Signed in as {operator.displayName} ({operator.email}), {operator.role}.
        </p>
        <h2>Two-factor login</h2>
        <TwoFactor api={props.api} session={props.session} onEnabled={props.onRefresh} />
      </main>
    </div>
  );
}
