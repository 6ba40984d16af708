import { randomUUID } from 'node:crypto';
import type { VisitorServerFrame } from '@plauder/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInstallation,
  jsonOf,
  openVisitor,
  startVisitorSession,
  type Installation,
  type ServerNode,
} from '../test-support/cluster.js';
import type { SocketClient } from '../test-support/socket-client.js';
import { ACCOUNT_TERMINATED_CLOSE_CODE } from './visitor-connection.js';

type Window = SocketClient<VisitorServerFrame>;

const services = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

/**
 * Two `plauder serve` processes and the command line of one installation (PostgreSQL and Redis): a
 * termination made in a third process reaches the chat windows of both nodes over Redis alone.
 */
describe.skipIf(!services)('a termination across the nodes of an installation', { timeout: 60_000 }, () => {
  let installation: Installation;
  let cliDir: string;
  let nodes: ServerNode[];
  let account: { accountId: string; widgetPublicKey: string };
  const windows: Window[] = [];

  beforeAll(async () => {
    installation = await createInstallation({ dialect: 'postgres', redis: true });
    cliDir = installation.newDataDir();
    account = jsonOf(
      await installation.cli(
        ['account', 'create', '--name', 'Acme', '--owner-email', 'alice@acme.test', '--owner-name', 'Alice', '--json'],
        cliDir,
      ),
    );
    nodes = await Promise.all([
      installation.startNode({ dataDir: installation.newDataDir() }),
      installation.startNode({ dataDir: installation.newDataDir() }),
    ]);
  }, 120_000);
  afterEach(() => {
    for (const window of windows.splice(0)) window.close();
  });
  afterAll(async () => {
    await installation?.cleanup();
  });

  it('closes the windows on every node when the command line terminates the account, and they reopen read-only', async () => {
    const opened: { window: Window; token: string; node: ServerNode }[] = [];
    for (const node of nodes) {
      const { token } = await startVisitorSession(node, account.widgetPublicKey);
      const window = await openVisitor(node, token);
      windows.push(window);
      opened.push({ window, token, node });
    }

    const run = await installation.cli(['account', 'terminate', '--account', account.accountId], cliDir);
    expect(run.code, run.stderr).toBe(0);

    for (const { window, token, node } of opened) {
      expect(await window.closed()).toBe(ACCOUNT_TERMINATED_CLOSE_CODE);
      const reopened = await openVisitor(node, token);
      windows.push(reopened);
      expect(reopened.frames[0]).toMatchObject({ type: 'welcome', operatorsAvailable: false });
      const ref = randomUUID();
      reopened.send({ type: 'conversation.start', ref, consent: { version: 'en-1' } });
      expect(await reopened.next('error', (f) => f.ref === ref)).toMatchObject({ code: 'account_terminated' });
    }
  });
});
