import type { SessionDto } from '@plauder/protocol';
import type { Api } from '../../api.js';
import { TwoFactor } from '../auth/two-factor.js';

/** One's own account: who is signed in, and two-factor login. Every role sees it. */
export function YourAccountSection(props: { api: Api; session: SessionDto; onRefresh: () => void }) {
  const { operator } = props.session;
  return (
    <>
      <h2>Your account</h2>
      <p>
        Signed in as {operator.displayName} ({operator.email}), {operator.role}.
      </p>
      <h3>Two-factor login</h3>
      <TwoFactor api={props.api} session={props.session} onEnabled={props.onRefresh} />
    </>
  );
}
