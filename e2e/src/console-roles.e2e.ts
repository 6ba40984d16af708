import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { signInOverApi } from './support/api.js';
import { launchChromium } from './support/browser.js';

const OPERATOR = { email: 'olaf@acme.test', password: 'operator password of olaf', displayName: 'Olaf' };

describe('what an operator may do in the console', () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let widgetId: string;
  let operatorId: string;
  beforeAll(async () => {
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'ada@acme.test', '--owner-name', 'Ada', '--json'],
        dataDir,
      ),
    );
    node = await installation.startNode({ dataDir });
    const owner = await signInOverApi(node, { email: created.ownerEmail, password: created.ownerPassword });
    const added = await owner.request('POST', '/api/v1/operators', { ...OPERATOR, role: 'operator' });
    expect(added.status).toBe(201);
    // Safe: the route answers OperatorDto.
    operatorId = ((await added.json()) as { id: string }).id;
    const canned = await owner.request('POST', '/api/v1/canned-responses', {
      shortcut: 'hello',
      title: 'Greeting',
      body: 'Hello! How can I help?',
    });
    expect(canned.status).toBe(201);
    // Safe: the route answers { widgets: WidgetDto[] }.
    widgetId = ((await (await owner.request('GET', '/api/v1/widgets')).json()) as { widgets: { id: string }[] })
      .widgets[0]!.id;
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await installation?.cleanup();
  });

  it('sees only their own account, and the canned responses and optional functions to read, among the settings', async () => {
    await page.goto(`${node.httpUrl}/app/settings/widget`);
    await page.getByLabel('Email').fill(OPERATOR.email);
    await page.getByLabel('Password').fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The widget section is not theirs: the address leads to their own account instead.
    await page.getByText('Signed in as Olaf (olaf@acme.test), operator.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/settings/account');
    const sections = page.getByRole('navigation', { name: 'Settings' }).getByRole('link');
    expect(await sections.allTextContents()).toEqual(['Canned responses', 'Optional functions', 'Your account']);
    expect(await page.locator('[data-preview]').count()).toBe(0);

    await sections.getByText('Canned responses').click();
    await page.getByText('Hello! How can I help?').waitFor();
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'New canned response' }).count()).toBe(0);
  });

  it("is refused by the API what the console hides, sent with the operator's own session and CSRF token", async () => {
    const attempts: [string, string, unknown][] = [
      ['PATCH', `/api/v1/widgets/${widgetId}`, { settings: { color: '#000000' } }],
      ['POST', '/api/v1/canned-responses', { shortcut: 'bye', title: 'Bye', body: 'Bye!' }],
      ['POST', '/api/v1/operator-invitations', { email: 'eve@acme.test', role: 'operator' }],
      ['PUT', `/api/v1/operators/${operatorId}/role`, { role: 'admin' }],
      ['PATCH', '/api/v1/account', { retentionMonths: 36 }],
      ['POST', '/api/v1/api-tokens', { name: 'Mine', scope: 'write' }],
      ['DELETE', `/api/v1/contacts/${randomUUID()}`, undefined],
    ];
    // Runs in the signed-in page: its cookie, and the CSRF token of its session.
    const answers = await page.evaluate(async (requests) => {
      const session = (await (await fetch('/api/v1/auth/session')).json()) as { csrfToken: string };
      const results: { status: number; code: string }[] = [];
      for (const [method, path, body] of requests) {
        const response = await fetch(path, {
          method,
          headers: {
            'x-csrf-token': session.csrfToken,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const answer = (await response.json()) as { error?: { code: string } };
        results.push({ status: response.status, code: answer.error?.code ?? '' });
      }
      return results;
    }, attempts);
    expect(answers).toEqual(attempts.map(() => ({ status: 403, code: 'forbidden' })));
  });
});
