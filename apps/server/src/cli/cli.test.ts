import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WidgetConfig } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { MASTER_KEY_FILE, masterKeyId } from '../crypto/master-key.js';
import { buildServer } from '../http/server.js';
import { DEMO_OWNER_EMAIL } from './serve.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const entry = path.join(root, 'apps/server/src/cli/run.ts');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a CLI run: embedded mode in `dataDir`, whatever the test run's dialect, since
 * DATABASE_URL and every other variable of this process are left out.
 */
function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

function startCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env, stdio: 'pipe' });
}

/** Runs one CLI command to its end. */
function plauder(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The one JSON line a --json command prints on stdout. */
function jsonOf<T>(run: Run): T {
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as T;
}

/** Logs in through the HTTP API of an in-process server on the CLI's data directory; the status code. */
async function logInStatus(dataDir: string, email: string, password: string): Promise<number> {
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  try {
    const app = await buildServer(ctx);
    try {
      const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
      return response.statusCode;
    } finally {
      await app.close();
    }
  } finally {
    await ctx.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface AccountCreated {
  accountId: string;
  ownerId: string;
  ownerEmail: string;
  ownerPassword: string;
  widgetPublicKey: string;
}

describe('the plauder command line', { timeout: 90_000 }, () => {
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function createAcme(): Promise<AccountCreated> {
    return jsonOf<AccountCreated>(
      await plauder(['account', 'create', '--name', 'Acme', '--owner-email', 'a@acme.test', '--json'], cliEnv(dataDir)),
    );
  }

  it('creates an account and prints one JSON line with the owner password', async () => {
    const created = await createAcme();
    expect(created.accountId).toMatch(UUID);
    expect(created.ownerId).toMatch(UUID);
    expect(created.ownerEmail).toBe('a@acme.test');
    expect(created.ownerPassword).toMatch(/^[\w-]{16}$/);
    expect(await logInStatus(dataDir, 'a@acme.test', created.ownerPassword)).toBe(200);
  });

  it('lists the accounts, as JSON and as lines for people', async () => {
    const empty = await plauder(['account', 'list'], cliEnv(dataDir));
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No accounts yet');

    const created = await createAcme();
    const listed = jsonOf<{ accounts: unknown[] }>(await plauder(['account', 'list', '--json'], cliEnv(dataDir)));
    expect(listed.accounts).toEqual([{ id: created.accountId, name: 'Acme', plan: 'standard', status: 'active' }]);
    const lines = await plauder(['account', 'list'], cliEnv(dataDir));
    expect(lines.stdout.trim()).toMatch(new RegExp(`^${created.accountId}\\s+active\\s+standard\\s+Acme$`));
  });

  it("exports every widget's config for a static host, with the installation's URL to chat with", async () => {
    const created = await createAcme();
    const out = path.join(dataDir, 'cdn');
    const env = cliEnv(dataDir, { PUBLIC_URL: 'https://chat.acme.test' });
    expect(jsonOf(await plauder(['cdn', 'export', out, '--json'], env))).toEqual({
      dir: out,
      configs: 1,
      removed: 0,
      // This release's script and style, and the release's before when the build kept them.
      assets: expect.any(Number) as number,
    });
    const config = WidgetConfig.parse(
      JSON.parse(readFileSync(path.join(out, `widget/v1/config/${created.widgetPublicKey}.json`), 'utf8')),
    );
    expect(config).toMatchObject({ publicKey: created.widgetPublicKey, apiUrl: 'https://chat.acme.test' });
    const missing = await plauder(['cdn', 'export'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("missing required argument 'dir'");
  });

  it('adds an operator to an account and prints its password once', async () => {
    const created = await createAcme();
    const operator = jsonOf<{ operatorId: string; email: string; role: string; password: string }>(
      await plauder(
        ['operator', 'create', '--account', created.accountId, '--email', 'Op@Acme.test', '--role', 'admin', '--json'],
        cliEnv(dataDir),
      ),
    );
    expect(operator).toMatchObject({ email: 'op@acme.test', role: 'admin' });
    expect(operator.operatorId).toMatch(UUID);
    expect(await logInStatus(dataDir, 'op@acme.test', operator.password)).toBe(200);

    const again = await plauder(
      ['operator', 'create', '--account', created.accountId, '--email', 'op@acme.test', '--json'],
      cliEnv(dataDir),
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('An operator with this email exists already');
  });

  it('refuses an operator for an unknown account with exit code 2 and a clear message', async () => {
    await createAcme();
    const unknown = randomUUID();
    const run = await plauder(
      ['operator', 'create', '--account', unknown, '--email', 'op@acme.test', '--json'],
      cliEnv(dataDir),
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(`plauder: No account with id ${unknown}`);
  });

  it('refuses an owner or operator email that the login would refuse', async () => {
    const owner = await plauder(
      ['account', 'create', '--name', 'Local', '--owner-email', 'admin@localhost', '--json'],
      cliEnv(dataDir),
    );
    expect(owner.code).toBe(2);
    expect(owner.stdout).toBe('');
    expect(owner.stderr).toContain(
      'plauder: The email is not an address an operator can log in with; use one like name@example.com\n',
    );
    const operator = await plauder(
      ['operator', 'create', '--account', randomUUID(), '--email', 'not an email', '--json'],
      cliEnv(dataDir),
    );
    expect(operator.code).toBe(2);
    expect(operator.stderr).toContain('The email is not an address an operator can log in with');
    const listed = jsonOf<{ accounts: unknown[] }>(await plauder(['account', 'list', '--json'], cliEnv(dataDir)));
    expect(listed.accounts).toEqual([]);
  });

  it('rotates the master key file, and the data stays readable', async () => {
    const created = await createAcme();
    const keyFile = path.join(dataDir, MASTER_KEY_FILE);
    const before = readFileSync(keyFile, 'utf8');

    const rotated = jsonOf<{ oldKeyId: string; newKeyId: string; rewrapped: number; newMasterKey?: string }>(
      await plauder(['keys', 'rotate', '--json'], cliEnv(dataDir)),
    );
    const after = readFileSync(keyFile, 'utf8');
    expect(after).not.toBe(before);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(dataDir, 'master.key.next'))).toBe(false);
    expect(rotated.rewrapped).toBeGreaterThan(0);
    expect(rotated.oldKeyId).toBe(masterKeyId(Buffer.from(before.trim(), 'base64')));
    expect(rotated.newKeyId).toBe(masterKeyId(Buffer.from(after.trim(), 'base64')));
    // With a key file, the new key stays in the file and is never printed.
    expect(rotated.newMasterKey).toBeUndefined();

    const listed = jsonOf<{ accounts: { id: string }[] }>(
      await plauder(['account', 'list', '--json'], cliEnv(dataDir)),
    );
    expect(listed.accounts.map((a) => a.id)).toEqual([created.accountId]);
    expect(await logInStatus(dataDir, 'a@acme.test', created.ownerPassword)).toBe(200);
  });

  it('rotates an environment master key by writing the new key to a 0600 file, never to the output', async () => {
    const envKey = randomBytes(32).toString('base64');
    const env = cliEnv(dataDir, { PLAUDER_MASTER_KEY: envKey });
    const created = jsonOf<{ accountId: string }>(
      await plauder(['account', 'create', '--name', 'Env', '--owner-email', 'env@acme.test', '--json'], env),
    );
    const run = await plauder(['keys', 'rotate', '--json'], env);
    const rotated = jsonOf<{ newKeyId: string; newMasterKeyFile: string }>(run);
    expect(rotated.newMasterKeyFile).toBe(path.join(dataDir, 'master.key.next'));
    expect(statSync(rotated.newMasterKeyFile).mode & 0o777).toBe(0o600);
    const newKey = readFileSync(rotated.newMasterKeyFile, 'utf8').trim();
    expect(masterKeyId(Buffer.from(newKey, 'base64'))).toBe(rotated.newKeyId);
    expect(run.stdout + run.stderr).not.toContain(newKey);

    expect((await plauder(['account', 'list', '--json'], env)).code).toBe(2);
    const listed = jsonOf<{ accounts: { id: string }[] }>(
      await plauder(['account', 'list', '--json'], cliEnv(dataDir, { PLAUDER_MASTER_KEY: newKey })),
    );
    expect(listed.accounts.map((a) => a.id)).toEqual([created.accountId]);
  });

  it('refuses a master key that is not the installation key, naming both key ids and changing nothing', async () => {
    await createAcme();
    const keyFile = path.join(dataDir, MASTER_KEY_FILE);
    const fileKey = readFileSync(keyFile, 'utf8');
    const otherKey = randomBytes(32);

    const run = await plauder(
      ['account', 'list', '--json'],
      cliEnv(dataDir, { PLAUDER_MASTER_KEY: otherKey.toString('base64') }),
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(masterKeyId(otherKey));
    expect(run.stderr).toContain(masterKeyId(Buffer.from(fileKey.trim(), 'base64')));
    expect(run.stderr).not.toContain(otherKey.toString('base64'));
    expect(run.stderr).not.toMatch(/^\s+at /m);

    expect(readFileSync(keyFile, 'utf8')).toBe(fileKey);
    expect((await plauder(['account', 'list', '--json'], cliEnv(dataDir))).code).toBe(0);
  });

  it('refuses a bad configuration with exit code 2 and a message naming the variable', async () => {
    const run = await plauder(['account', 'list'], cliEnv(dataDir, { PORT: 'abc' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PORT is not a port number from 1 to 65535 (got "abc")');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(dataDir, MASTER_KEY_FILE))).toBe(false);
  });

  it('serves: prints the demo login once, answers health, logins and the demo page, and stops on SIGTERM', async () => {
    const port = await freePort();
    const env = cliEnv(dataDir, { PORT: String(port), HOST: '127.0.0.1' });

    const first = await startServe(env);
    expect(first.stdout).toContain(`Plauder is running at http://127.0.0.1:${port}`);
    expect(first.stdout).toContain(`email:    ${DEMO_OWNER_EMAIL}`);
    const password = /password: (\S+)/.exec(first.stdout)?.[1];
    expect(password).toBeDefined();

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO_OWNER_EMAIL, password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/^plauder_session=pls_/);
    // The demo page: a site with the demo widget's snippet, whose loader is served right there.
    expect(first.stdout).toContain(`Demo page with the chat widget: http://127.0.0.1:${port}/demo`);
    const demo = await fetch(`http://127.0.0.1:${port}/demo`);
    expect(demo.status).toBe(200);
    const snippet =
      /<script async src="([^"]+\/widget\/v1\/loader\.js)" data-widget="(pk_[\w-]+)"><\/script>\n<\/body>/.exec(
        await demo.text(),
      );
    expect(snippet).not.toBeNull();
    expect(snippet![1]).toBe(`http://127.0.0.1:${port}/widget/v1/loader.js`);
    expect((await fetch(snippet![1]!)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/widget/v1/config/${snippet![2]}.json`)).status).toBe(200);
    expect(await stop(first.child)).toEqual({ code: 0, signal: null });

    const second = await startServe(env);
    expect(second.stdout).toContain('Plauder is running at');
    expect(second.stdout).not.toContain('password:');
    expect(second.stdout).not.toContain(DEMO_OWNER_EMAIL);
    expect(await stop(second.child)).toEqual({ code: 0, signal: null });
  });

  /** Starts `plauder serve` and waits for its start lines. */
  function startServe(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; stdout: string }> {
    const child = startCli(['serve'], env);
    children.push(child);
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        // The start lines are written at once, after the storage line.
        if (/Plauder is running at [^\n]*\n {2}storage: [^\n]*\n/.test(stdout)) {
          setTimeout(() => resolve({ child, stdout }), 100);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}${stdout}`)));
    });
  }

  function stop(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.kill('SIGTERM');
    });
  }
});
