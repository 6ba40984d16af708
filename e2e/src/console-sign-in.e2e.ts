import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import { launchChromium } from './support/browser.js';

describe('signing in to the console', () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let owner: { email: string; password: string };
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string }>(
      await installation.cli(
        [
          'account',
          'create',
          '--name',
          'Acme',
          '--owner-email',
          'ada@acme.test',
          '--owner-name',
          'Ada Lovelace',
          '--json',
        ],
        dataDir,
      ),
    );
    owner = { email: created.ownerEmail, password: created.ownerPassword };
    node = await installation.startNode({ dataDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await installation?.cleanup();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async () => {
    await context.close();
  });

  async function signIn(password: string, code?: string): Promise<void> {
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (code === undefined) return;
    await page.getByLabel('Code from your authenticator app').fill(code);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
  }

  it('comes back to sign-in when the session is gone, and returns to the console as it was', async () => {
    await page.goto(`${node.httpUrl}/app/settings/account`);
    await signIn(owner.password);
    await page.getByText('Signed in as Ada Lovelace').waitFor();
    // The console has read what it reads at the start (the inbox, the operators), so the click below
    // is the first request to find the session gone.
    await page.waitForLoadState('networkidle');
    // The session ends under the open console (as an expiry or a sign-out elsewhere does).
    await context.clearCookies();
    await page.getByRole('button', { name: 'Set up two-factor login' }).click();
    await page.getByText('Your session ended. Sign in again to go on where you were.').waitFor();
    expect(await page.getByText('Signed in as Ada Lovelace').isVisible()).toBe(false);
    await signIn(owner.password);
    await page.getByText('Signed in as Ada Lovelace').waitFor();
    await page.getByRole('button', { name: 'Set up two-factor login' }).waitFor();
  });

  it('refuses a wrong password, signs in, turns on two-factor login, and then asks for a code', async () => {
    await page.goto(`${node.httpUrl}/app/settings/account`);
    await signIn('not the password');
    await page.getByRole('alert').getByText('Email or password is wrong.').waitFor();

    await signIn(owner.password);
    await page.getByText('Signed in as Ada Lovelace (ada@acme.test), owner.').waitFor();
    await page.getByRole('button', { name: 'Set up two-factor login' }).click();
    const secret = (await page.locator('[data-secret]').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const now = Math.floor(Date.now() / 1000);
    await page.getByLabel('First code from the app').fill(await generate({ secret, epoch: now }));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Two-factor login is on.').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Plauder' }).waitFor();
    // A code works once: the next time step's code, which the server accepts for clock drift.
    await signIn(owner.password, await generate({ secret, epoch: now + 30 }));
    await page.getByText('Signed in as Ada Lovelace').waitFor();
    expect((await context.cookies()).map((c) => [c.name, c.httpOnly])).toEqual([['plauder_session', true]]);
  });
});
