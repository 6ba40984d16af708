import type { WidgetDto, WidgetSettingsChanges } from '@plauder/protocol';
import type { ServerNode } from '../../../apps/server/src/test-support/cluster.js';

/** Changes the settings of the account's first widget through the REST API, as its owner. */
export async function changeWidgetSettings(
  node: ServerNode,
  owner: { email: string; password: string },
  settings: WidgetSettingsChanges,
): Promise<void> {
  const login = await fetch(`${node.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: owner.email, password: owner.password }),
  });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  // Safe: the login route answers LoginResponse, which carries the CSRF token.
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
  // Safe: the route answers { widgets: WidgetDto[] }.
  const { widgets } = (await (await fetch(`${node.httpUrl}/api/v1/widgets`, { headers })).json()) as {
    widgets: WidgetDto[];
  };
  const response = await fetch(`${node.httpUrl}/api/v1/widgets/${widgets[0]!.id}`, {
    method: 'PATCH',
    headers,
    body: JSON.stringify({ settings }),
  });
  if (!response.ok) throw new Error(`The settings change failed with ${response.status}: ${await response.text()}`);
}
