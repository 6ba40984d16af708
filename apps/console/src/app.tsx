import type { SessionDto } from '@plauder/protocol';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './api.js';
import { SignIn } from './features/auth/sign-in.js';
import { AcceptInvitation } from './features/invite/accept-invitation.js';
import { Shell } from './features/shell/shell.js';

/**
 * The console: sign-in, then the signed-in shell. When the session ends under it (expired, or
 * logged out elsewhere), sign-in comes over the shell, which stays mounted: what the operator was
 * typing is still there after signing in again as the same operator.
 */
export function App() {
  const api = useMemo(() => new Api(), []);
  const [session, setSession] = useState<SessionDto | null | undefined>(undefined);
  const [lost, setLost] = useState(false);

  const load = () =>
    api
      .request<SessionDto>('GET', '/api/v1/auth/session')
      .then((found) => {
        api.useSession(found);
        setSession(found);
      })
      .catch(() => setSession(null));
  useEffect(() => {
    void load();
  }, []);
  api.onSessionLost = () => setLost(true);

  const signedIn = (started: SessionDto) => {
    api.useSession(started);
    // The shell is keyed by the operator: the same one finds their work as it was, another a fresh shell.
    setSession(started);
    setLost(false);
  };
  const signOut = async () => {
    await api.request('POST', '/api/v1/auth/logout').catch(() => undefined);
    setSession(null);
    setLost(false);
  };

  if (session === undefined) return <p class="loading">Loading…</p>;
  return (
    <>
      {session && (
        <div hidden={lost}>
          <Shell
            key={session.operator.id}
            api={api}
            session={session}
            active={!lost}
            onSignOut={() => void signOut()}
            onRefresh={() => void load()}
          />
        </div>
      )}
      {!session && location.pathname === '/app/invite' ? (
        <AcceptInvitation api={api} onSignedIn={signedIn} />
      ) : (
        (!session || lost) && <SignIn api={api} expired={lost} onSignedIn={signedIn} />
      )}
    </>
  );
}
