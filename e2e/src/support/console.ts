import type { Page } from 'playwright-core';
import type { ServerNode } from '../../../apps/server/src/test-support/cluster.js';
import { signInOverApi } from './api.js';

/** Signs in on the console's sign-in form (already shown on the page). */
export async function signInToConsole(page: Page, credentials: { email: string; password: string }): Promise<void> {
  // The sign-in form may cover a console whose session ended: its fields, not the console's.
  const form = page.locator('.sign-in');
  await form.getByLabel('Email').fill(credentials.email);
  await form.getByLabel('Password').fill(credentials.password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** Adds an operator to the owner's account through the REST API; answers their credentials. */
export async function addOperator(
  node: ServerNode,
  owner: { email: string; password: string },
  operator: { email: string; displayName: string; role?: 'operator' | 'admin' },
): Promise<{ id: string; email: string; password: string }> {
  const session = await signInOverApi(node, owner);
  const password = `pass-${crypto.randomUUID()}`;
  const response = await session.request('POST', '/api/v1/operators', {
    ...operator,
    role: operator.role ?? 'operator',
    password,
  });
  if (response.status !== 201)
    throw new Error(`Adding the operator failed with ${response.status}: ${await response.text()}`);
  // Safe: the route answers OperatorDto.
  const { id } = (await response.json()) as { id: string };
  return { id, email: operator.email, password };
}

/** Adds a canned response to the owner's account through the REST API. */
export async function addCannedResponse(
  node: ServerNode,
  owner: { email: string; password: string },
  response: { shortcut: string; title: string; body: string },
): Promise<void> {
  const answer = await (await signInOverApi(node, owner)).request('POST', '/api/v1/canned-responses', response);
  if (answer.status !== 201) throw new Error(`Adding the canned response failed with ${answer.status}`);
}
