import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OperatorServerFrame } from '@plauder/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  logIn,
  openOperator,
  type Installation,
  type ServerNode,
} from '../../apps/server/src/test-support/cluster.js';
import type { SocketClient } from '../../apps/server/src/test-support/socket-client.js';
import { signInOverApi } from './support/api.js';
import { launchChromium } from './support/browser.js';
import { addOperator, signInToConsole } from './support/console.js';
import { holdRoutedChat, leaveOfflineMessage } from './support/visitor-chat.js';
import { ARTIFACTS } from './support/widget-installation.js';

type OperatorSocket = SocketClient<OperatorServerFrame>;

/** An operator's socket, online or offline as `status` says. */
async function setPresence(socket: OperatorSocket, status: 'online' | 'offline'): Promise<void> {
  const from = socket.frames.length;
  socket.send({ type: 'presence.set', status });
  await socket.next('presence', (frame) => frame.status === status, from);
}

/** How many pixels of a canvas are about the color `rgb` (anti-aliased edges count when close). */
function pixelsOf(page: Page, selector: string, rgb: readonly [number, number, number]): Promise<number> {
  // Runs in the browser; the shape is spelled out since this project's Node configuration has no DOM types.
  type Canvas = {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
  };
  return page.locator(selector).evaluate(
    (canvas: Canvas, color) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let found = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near = [0, 1, 2].every((c) => Math.abs((data[i + c] ?? 0) - (color[c] ?? 0)) < 24);
        if (near && (data[i + 3] ?? 0) > 200) found++;
      }
      return found;
    },
    [...rgb],
  );
}

/**
 * The Reports page in a real browser against a real installation: chats answered, missed, rated and
 * an offline message, made through the visitor and operator sockets, then the owner reads them as
 * figures, charts, busiest hours and the operators' table, filters and changes the period, meets the
 * API's refusal of a reversed period, downloads both CSV tables and changes the account's time zone.
 */
describe('reports in the console', () => {
  let installation: Installation;
  let node: ServerNode;
  let browser: Browser;
  let owner: { id: string; email: string; password: string };
  let colleague: { id: string; email: string; password: string };
  const contexts: BrowserContext[] = [];
  const consoleAt = async (who: { email: string; password: string }, at: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${node.httpUrl}/app${at}`);
    await signInToConsole(page, who);
    return page;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    installation = await createInstallation({ dialect: 'sqlite' });
    const dataDir = installation.newDataDir();
    const created = jsonOf<{ ownerEmail: string; ownerPassword: string; widgetPublicKey: string }>(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'ada@acme.test', '--owner-name', 'Ada', '--json'],
        dataDir,
      ),
    );
    node = await installation.startNode({ dataDir });
    const session = await signInOverApi(node, { email: created.ownerEmail, password: created.ownerPassword });
    // Safe: the route answers { operators: OperatorDto[] }.
    const listed = (await (await session.request('GET', '/api/v1/operators')).json()) as {
      operators: { id: string }[];
    };
    owner = { id: listed.operators[0]!.id, email: created.ownerEmail, password: created.ownerPassword };
    const carl = await addOperator(node, owner, { email: 'carl@acme.test', displayName: 'Carl' });
    colleague = await addOperator(node, owner, { email: 'bob@acme.test', displayName: 'Bob' });

    // Carl answers one chat, rated 4; then Ada answers two (one rated 5) and misses one.
    const publicKey = created.widgetPublicKey;
    const carlSocket = await openOperator(node, await logIn(node, carl));
    await setPresence(carlSocket, 'online');
    await holdRoutedChat(node, { publicKey, operator: carlSocket, answer: true, rating: 4 });
    await setPresence(carlSocket, 'offline');
    carlSocket.close();
    const adaSocket = await openOperator(node, await logIn(node, owner));
    await setPresence(adaSocket, 'online');
    await holdRoutedChat(node, { publicKey, operator: adaSocket, answer: true, rating: 5 });
    await holdRoutedChat(node, { publicKey, operator: adaSocket, answer: true });
    await holdRoutedChat(node, { publicKey, operator: adaSocket, answer: false });
    await setPresence(adaSocket, 'offline');
    adaSocket.close();
    await leaveOfflineMessage(node, publicKey);
    // Carl leaves: his row stays in the reports, without his name.
    const removed = await session.request('DELETE', `/api/v1/operators/${carl.id}`);
    expect(removed.status).toBe(204);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await installation?.cleanup();
  });

  it('shows the figures and charts of the period, follows filters and periods, refuses a reversed one, and downloads the tables', async () => {
    const page = await consoleAt(owner, '/inbox');
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(request.url());
    });
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.getByRole('link', { name: /^Mine/ }).waitFor();
    // The charts' code is not part of what every console loads: it comes with the page.
    expect(scripts.filter((url) => url.includes('reports-page'))).toEqual([]);
    await page.getByRole('link', { name: 'Reports', exact: true }).click();
    await page.getByText(/Days and hours are counted in/).waitFor();
    await expect.poll(() => scripts.some((url) => url.includes('reports-page'))).toBe(true);

    // The last 30 days in the account's zone (UTC), in the address and the picker.
    await expect.poll(() => new URL(page.url()).searchParams.get('to')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const to = new URL(page.url()).searchParams.get('to')!;
    expect(to).toBe(new Date().toISOString().slice(0, 10));
    expect(await page.getByRole('combobox', { name: 'Period', exact: true }).inputValue()).toBe('last-30-days');

    const figure = (label: string) =>
      page
        .locator('.report-figure')
        .filter({ has: page.locator('.figure-label').getByText(label, { exact: true }) })
        .locator('.figure-value');
    await expect.poll(() => figure('Conversations').textContent()).toBe('4');
    expect(await figure('Answered').textContent()).toBe('3');
    expect(await figure('Missed').textContent()).toBe('1');
    expect(await figure('Offline messages').textContent()).toBe('1');
    expect(await figure('Rating, average').textContent()).toBe('4.5');
    await page.locator('.report-figure').first().getByText('none in the previous 30 days').waitFor();

    // uPlot drew the daily series (conversations in the accent) and the rating bars.
    const daily = page.getByRole('img', { name: /^Per day/ });
    expect(await daily.getAttribute('aria-label')).toContain('4 conversations, 3 answered, 1 missed, 1 offline');
    await expect.poll(() => pixelsOf(page, '.report-chart >> nth=0 >> canvas', [47, 111, 237])).toBeGreaterThan(20);
    await expect.poll(() => pixelsOf(page, '.report-chart >> nth=1 >> canvas', [47, 111, 237])).toBeGreaterThan(200);
    await page.getByText('2 ratings, 4.5 stars on average.').waitFor();
    // The conversations' length, with its percentiles from the duration buckets.
    const duration = page.getByRole('region', { name: 'Duration', exact: true });
    await duration.getByText(/closed conversations\.$/).waitFor();
    const median = duration
      .getByRole('row', { name: /^Median / })
      .locator('td')
      .first();
    expect(await median.textContent()).toMatch(/\d/);

    // Four starts in the busiest hours; Ada by name, Carl (removed) by the neutral label.
    const counts = await page
      .locator('.heatmap td')
      .evaluateAll((cells) =>
        cells.map((cell) => Number((cell as unknown as { dataset: { count: string } }).dataset.count)),
      );
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(4);
    const operators = page.getByRole('table', { name: 'Operators' });
    await operators.getByRole('row', { name: /^Ada 3 / }).waitFor();
    await operators.getByRole('row', { name: /^Removed operator 1 / }).waitFor();
    await page.setViewportSize({ width: 1400, height: 2200 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'reports-page.png') });
    await page.setViewportSize({ width: 1400, height: 1000 });

    // One operator: the report is asked for again, and counts what Ada closed.
    const asked = (part: string) =>
      page.waitForResponse((response) => response.url().includes('/api/v1/reports?') && response.url().includes(part));
    await Promise.all([
      asked(`operatorId=${owner.id}`),
      page.getByRole('combobox', { name: 'Operator', exact: true }).selectOption({ label: 'Ada' }),
    ]);
    await expect.poll(() => figure('Conversations closed').textContent()).toBe('3');
    expect(await figure('Answered').textContent()).toBe('2');
    expect(await figure('Offline messages').textContent()).toBe('0');
    const widgets = page.getByRole('combobox', { name: 'Widget', exact: true });
    await Promise.all([asked('widgetId='), widgets.selectOption({ label: 'Website' })]);
    expect(new URL(page.url()).searchParams.get('widgetId')).toBe(await widgets.inputValue());

    // Both tables as CSV, with the period and both filters.
    const [daysCsv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Days (CSV)' }).click(),
    ]);
    expect(daysCsv.suggestedFilename()).toMatch(/^report-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-days\.csv$/);
    const dayRows = readFileSync(await daysCsv.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(dayRows[0]).toMatch(/^day,conversations,answered,missed,offline,/);
    expect(dayRows).toHaveLength(31);
    // Ada's conversations, answered, missed and offline messages, summed over the days.
    const sums = [1, 2, 3, 4].map((column) =>
      dayRows.slice(1).reduce((sum, row) => sum + Number(row.split(',')[column]), 0),
    );
    expect(sums).toEqual([3, 2, 1, 0]);
    const [operatorsCsv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Operators (CSV)' }).click(),
    ]);
    const operatorRows = readFileSync(await operatorsCsv.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(operatorRows).toEqual([
      expect.stringMatching(/^operator_id,conversations,/),
      expect.stringMatching(`^${owner.id},3,`),
    ]);

    // Another period: asked for again; a reversed one is refused by the API, said beside the picker.
    await Promise.all([
      asked('from='),
      page.getByRole('combobox', { name: 'Period', exact: true }).selectOption('last-7-days'),
    ]);
    expect(new URL(page.url()).searchParams.get('operatorId')).toBe(owner.id);
    await page.getByRole('textbox', { name: 'From', exact: true }).fill('2099-01-01');
    const refusal = page.getByRole('form', { name: 'Report period and filters' }).getByRole('alert');
    await refusal.getByText(`The period is reversed: from 2099-01-01 is after to ${to}.`).waitFor();
    await refusal.getByText(/The report below is still that of/).waitFor();
    expect(await page.getByRole('combobox', { name: 'Period', exact: true }).inputValue()).toBe('custom');
    await page.getByRole('combobox', { name: 'Period', exact: true }).selectOption('last-30-days');
    await refusal.waitFor({ state: 'detached' });

    // The account's time zone, changed here: the report is counted in it from now on.
    await page.getByRole('button', { name: 'Change time zone' }).click();
    const zone = page.getByRole('form', { name: 'Time zone' });
    await zone.getByLabel('Time zone of the reports').selectOption('Europe/Berlin');
    await Promise.all([asked('from='), zone.getByRole('button', { name: 'Save' }).click()]);
    await page.getByText('Days and hours are counted in Europe/Berlin.').waitFor();
    await page.getByText(/, in Europe\/Berlin; compared with/).waitFor();
    const account = await (await signInOverApi(node, owner)).request('GET', '/api/v1/account');
    expect(((await account.json()) as { timeZone: string }).timeZone).toBe('Europe/Berlin');
    expect(violations).toEqual([]);
  });

  it('is not there for an operator', async () => {
    const page = await consoleAt(colleague, '/reports');
    await page.getByRole('link', { name: /^Mine/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/inbox/mine');
    expect(await page.getByRole('link', { name: 'Reports', exact: true }).count()).toBe(0);
  });
});
