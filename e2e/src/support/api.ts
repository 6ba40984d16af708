import type { WidgetDto, WidgetSettingsChanges } from '@plauder/protocol';
import type { ServerNode } from '../../../apps/server/src/test-support/cluster.js';

/** Changes the settings of the account's first widget through the REST API, as its owner. */
export async function changeWidgetSettings(
  node: ServerNode,
  owner: { email: string; password: string },
  settings: WidgetSettingsChanges,
): Promise<void> {
  const session = await signInOverApi(node, owner);
  // Safe: the route answers { widgets: WidgetDto[] }.
  const { widgets } = (await (await session.request('GET', '/api/v1/widgets')).json()) as { widgets: WidgetDto[] };
  const response = await session.request('PATCH', `/api/v1/widgets/${widgets[0]!.id}`, { settings });
  if (!response.ok) throw new Error(`The settings change failed with ${response.status}: ${await response.text()}`);
}

/** A signed-in session over the REST API, as a script would hold it: cookie and CSRF token. */
export interface ApiSession {
  /** Sends a JSON request with the session; answers the raw response. */
  request(method: string, path: string, body?: unknown): Promise<Response>;
}

/** Signs in over the REST API (no browser), for a journey's setup. */
export async function signInOverApi(
  node: ServerNode,
  credentials: { email: string; password: string },
): Promise<ApiSession> {
  const login = await fetch(`${node.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (!login.ok) throw new Error(`The login failed with ${login.status}: ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  // Safe: the login route answers SessionDto, which carries the CSRF token.
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    request: (method, path, body) =>
      fetch(`${node.httpUrl}${path}`, {
        method,
        headers: {
          cookie,
          'x-csrf-token': csrfToken,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}
