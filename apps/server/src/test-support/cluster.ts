import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OperatorServerFrame, VisitorServerFrame, VisitorSessionDto } from '@plauder/protocol';
import type { DialectName } from '../storage/database.js';
import { SocketClient } from './socket-client.js';
import { createSchema, dropSchema } from './test-context.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const entry = path.join(root, 'apps/server/src/cli/run.ts');

/** How long a node may take from spawn to answering /readyz, in milliseconds (tsx compiles on start). */
const START_TIMEOUT_MS = 30_000;
/** How long a graceful stop may take before the node is killed, in milliseconds. */
const STOP_TIMEOUT_MS = 5_000;

/** One `plauder` command run to its end. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `plauder serve` process. */
export interface ServerNode {
  readonly port: number;
  readonly dataDir: string;
  /** `http://127.0.0.1:<port>`. */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:<port>`. */
  readonly wsUrl: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** SIGKILL: no drain, no close, no flush; settles once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful close), then SIGKILL if it takes too long; settles once the process is gone. */
  stop(): Promise<void>;
}

/**
 * What the processes of one installation share: the database (a fresh PostgreSQL schema, or SQLite in
 * a node's DATA_DIR), Redis when given, and the master key. `cleanup` ends every process it started,
 * drops the schema and removes the directories, also after a failed test.
 */
export interface Installation {
  readonly dialect: DialectName;
  /** PostgreSQL: a DATABASE_URL whose search path is this installation's own schema. */
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly masterKey: string;
  /** A new empty DATA_DIR, removed by cleanup. */
  newDataDir(): string;
  /** Runs a CLI command of this installation on `dataDir` (`env` adds settings). */
  cli(args: readonly string[], dataDir: string, env?: Record<string, string>): Promise<CliRun>;
  /**
   * Starts `plauder serve` on `dataDir` (and `port`, default a free one; `env` adds settings) and
   * waits for /readyz.
   */
  startNode(input: { dataDir: string; port?: number; env?: Record<string, string> }): Promise<ServerNode>;
  cleanup(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
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

/**
 * The DATABASE_URL of the test run with `options=-c search_path=<schema>`: pg passes it to the server
 * at connect, so every connection of every process (server and CLI) works in the schema alone.
 */
function withSearchPath(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * Makes an installation: `postgres` needs DATABASE_URL (and uses REDIS_URL when `redis` is asked for
 * and set); `sqlite` is embedded, one DATA_DIR per node.
 */
export async function createInstallation(options: { dialect: DialectName; redis?: boolean }): Promise<Installation> {
  const baseUrl = process.env.DATABASE_URL;
  if (options.dialect === 'postgres' && !baseUrl) throw new Error('A PostgreSQL installation needs DATABASE_URL');
  const schema = options.dialect === 'postgres' ? await createSchema() : undefined;
  const databaseUrl = schema && baseUrl ? withSearchPath(baseUrl, schema) : undefined;
  const redisUrl = options.redis ? process.env.REDIS_URL : undefined;
  const masterKey = randomBytes(32).toString('base64');
  const dataDirs: string[] = [];
  const nodes: ServerNode[] = [];

  const envFor = (dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // No daily backup at each node's start; the backup's own tests turn it on.
    BACKUP_TIME: 'off',
    PLAUDER_MASTER_KEY: masterKey,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...extra,
  });

  return {
    dialect: options.dialect,
    databaseUrl,
    redisUrl,
    masterKey,
    newDataDir() {
      const dir = mkdtempSync(path.join(tmpdir(), 'plauder-node-'));
      dataDirs.push(dir);
      return dir;
    },
    cli: (args, dataDir, env) => runCli(args, envFor(dataDir, env)),
    async startNode(input) {
      const port = input.port ?? (await freePort());
      const node = spawnNode({
        port,
        dataDir: input.dataDir,
        env: envFor(input.dataDir, { ...input.env, PORT: String(port) }),
      });
      nodes.push(node);
      await waitUntilReady(node);
      return node;
    },
    async cleanup() {
      await Promise.all(nodes.splice(0).map((node) => node.stop()));
      if (schema) await dropSchema(schema);
      for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The one JSON line of a `--json` command; throws with its stderr when it failed. */
export function jsonOf<T>(run: CliRun): T {
  const lines = run.stdout.split('\n').filter(Boolean);
  if (run.code !== 0 || lines.length !== 1) {
    throw new Error(`plauder exited with ${String(run.code)}: ${run.stderr || run.stdout}`);
  }
  // Safe: a --json command prints exactly one object of the shape its caller names.
  return JSON.parse(lines[0]!) as T;
}

function spawnNode(input: { port: number; dataDir: string; env: NodeJS.ProcessEnv }): ServerNode {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'serve'], {
    cwd: root,
    env: { ...input.env, HOST: '127.0.0.1' },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    port: input.port,
    dataDir: input.dataDir,
    httpUrl: `http://127.0.0.1:${input.port}`,
    wsUrl: `ws://127.0.0.1:${input.port}`,
    child,
    output: () => output,
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntilReady(node: ServerNode): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (node.child.exitCode !== null || node.child.signalCode !== null) {
      throw new Error(`The node on port ${node.port} exited before it was ready:\n${node.output()}`);
    }
    try {
      const response = await fetch(`${node.httpUrl}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await node.kill();
      throw new Error(`The node on port ${node.port} was not ready after ${START_TIMEOUT_MS} ms:\n${node.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Logs an operator in over HTTP and returns the Cookie header for their socket. */
export async function logIn(node: ServerNode, credentials: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${node.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  const session = response.headers
    .getSetCookie()
    .map((cookie) => /^plauder_session=([^;]*)/.exec(cookie)?.[1])
    .find((value) => value !== undefined);
  if (response.status !== 200 || !session) throw new Error(`Login failed with ${response.status}`);
  return `plauder_session=${session}`;
}

/** Opens an operator socket on a node and waits for its welcome. */
export async function openOperator(node: ServerNode, cookie: string): Promise<SocketClient<OperatorServerFrame>> {
  const socket = await SocketClient.open<OperatorServerFrame>(`${node.wsUrl}/ws/v1/operator`, {
    headers: { cookie },
  });
  await socket.next('welcome');
  return socket;
}

/** Starts a visitor session on a node (the chat window's first request). */
export async function startVisitorSession(node: ServerNode, publicKey: string): Promise<VisitorSessionDto> {
  const response = await fetch(`${node.httpUrl}/api/v1/visitor-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey }),
  });
  if (response.status !== 201) throw new Error(`The visitor session failed with ${response.status}`);
  // Safe: the route's response schema is VisitorSessionDto.
  return (await response.json()) as VisitorSessionDto;
}

/** Opens a visitor socket on a node with a visitor token and waits for its welcome. */
export async function openVisitor(node: ServerNode, token: string): Promise<SocketClient<VisitorServerFrame>> {
  const socket = await SocketClient.open<VisitorServerFrame>(
    `${node.wsUrl}/ws/v1/visitor?token=${encodeURIComponent(token)}`,
  );
  await socket.next('welcome');
  return socket;
}
