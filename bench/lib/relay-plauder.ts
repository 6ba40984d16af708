import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type WebSocket from 'ws';
import { runScript, sleep, startChild } from './relay-processes.js';
import {
  closeSockets,
  fieldOf,
  frameText,
  freePort,
  inParallel,
  jsonField,
  nextFrame,
  openSocket,
  parseObject,
  type LoadVisitor,
  type Target,
} from './relay-sockets.js';

const CLI = 'apps/server/src/cli/run.ts';
const OWNER_EMAIL = 'owner@bench.example.com';
/** The largest capacity presence.set accepts. */
const OPERATOR_CAPACITY = 100;

const isType = (type: string) => (data: string) => jsonField(data, 'type') === type;

/**
 * Whether a line of the server's output deserves a look: a log line at warn or above (pino's level
 * 40+), or anything that is neither a log line nor one of the start lines.
 */
function noteworthy(line: string): boolean {
  const startLines = ['Plauder is running at ', '  storage: ', '  Demo page '];
  if (line.trim() === '' || startLines.some((start) => line.startsWith(start))) return false;
  const level = jsonField(line, 'level');
  return typeof level !== 'number' || level >= 40;
}

async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ json: unknown; cookie: string | undefined }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${new URL(url).pathname} answered ${response.status}: ${text}`);
  const cookie = /plauder_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  return { json: JSON.parse(text) as unknown, cookie };
}

async function logIn(base: string, email: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const { json, cookie } = await postJson(`${base}/api/v1/auth/login`, { email, password });
  const csrf = fieldOf(json, 'csrfToken');
  if (!cookie || typeof csrf !== 'string') throw new Error(`The login of ${email} gave no session cookie`);
  return { cookie, csrf };
}

async function visitorToken(base: string, publicKey: string): Promise<string> {
  const token = fieldOf((await postJson(`${base}/api/v1/visitor-sessions`, { publicKey })).json, 'token');
  if (typeof token !== 'string') throw new Error('A visitor session came without a token');
  return token;
}

/** The real server as a relay target, with its address and the account owner's session for API calls. */
export interface PlauderTarget extends Target {
  readonly base: string;
  readonly ownerHeaders: Readonly<Record<string, string>>;
}

/**
 * The real server (`plauder serve`) in a child process on a fresh DATA_DIR (and, with `databaseUrl`,
 * that PostgreSQL database): one account made with the CLI, `operators` operators online with capacity
 * 100 on their sockets, and `conversations` visitors with one conversation each, every one routed.
 */
export async function startPlauder(options: {
  databaseUrl: string | undefined;
  conversations: number;
  operators: number;
  log: (message: string) => void;
  /** The checkout whose server runs; this one by default. */
  root?: string;
  /** How the target is named in the rounds' lines. */
  name?: string;
  /** A script (path from the checkout's root) run with the server's environment before it starts. */
  seed?: { script: string; args: string[] };
  /** Environment the server gets besides the bench's own. */
  env?: Record<string, string>;
}): Promise<PlauderTarget> {
  if (options.conversations > options.operators * OPERATOR_CAPACITY) {
    throw new Error(
      `${options.operators} operators take ${options.operators * OPERATOR_CAPACITY} conversations at most`,
    );
  }
  const name = options.name ?? 'plauder';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-bench-relay-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Every bench visitor comes from 127.0.0.1: the per-address limits on visitor sessions and socket
    // upgrades would stop them.
    VISITOR_SESSIONS_PER_MINUTE: '0',
    SOCKET_UPGRADES_PER_MINUTE: '0',
    ...(options.databaseUrl
      ? { DATABASE_URL: options.databaseUrl, PLAUDER_MASTER_KEY: randomBytes(32).toString('base64') }
      : {}),
    ...options.env,
  };
  const sockets: WebSocket[] = [];
  let stopChild = async () => {};
  try {
    const account = JSON.parse(
      await runScript(
        CLI,
        ['account', 'create', '--name', 'Bench', '--owner-email', OWNER_EMAIL, '--json'],
        env,
        options.root,
      ),
    ) as unknown;
    const ownerPassword = fieldOf(account, 'ownerPassword');
    const publicKey = fieldOf(account, 'widgetPublicKey');
    if (typeof ownerPassword !== 'string' || typeof publicKey !== 'string') {
      throw new Error(`plauder account create printed no owner password or widget key: ${JSON.stringify(account)}`);
    }
    if (options.seed) {
      const seeded = performance.now();
      await runScript(options.seed.script, options.seed.args, env, options.root);
      options.log(`${name}: seeded by ${options.seed.script} in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    }
    const { child } = await startChild({
      name: 'plauder serve',
      ...(options.root ? { root: options.root } : {}),
      script: CLI,
      args: ['serve'],
      env,
      ready: /^ {2}storage: /,
      noteworthy,
    });
    stopChild = () => child.stop();
    const base = `http://127.0.0.1:${port}`;
    const wsBase = `ws://127.0.0.1:${port}`;
    options.log(`${name}: serving on ${base} (pid ${child.pid}), DATA_DIR ${dataDir}`);

    const owner = await logIn(base, OWNER_EMAIL, ownerPassword);
    const logins = await inParallel(options.operators, 2, async (i) => {
      const email = `operator${i}@bench.example.com`;
      const password = randomBytes(12).toString('base64url');
      const headers = { cookie: `plauder_session=${owner.cookie}`, 'x-csrf-token': owner.csrf };
      const created = await postJson(
        `${base}/api/v1/operators`,
        { email, displayName: `Operator ${i}`, password, role: 'operator' },
        headers,
      );
      const id = fieldOf(created.json, 'id');
      if (typeof id !== 'string') throw new Error('An operator was created without an id');
      return { id, ...(await logIn(base, email, password)) };
    });

    // Which operator socket got each conversation, from the inbox.assigned frames of the account channel.
    const assignedTo = new Map<string, string>();
    const operators = await inParallel(options.operators, options.operators, async (i) => {
      // Safe: inParallel gives one login per index below options.operators.
      const login = logins[i]!;
      const ws = await openSocket(`${wsBase}/ws/v1/operator`, {
        headers: { cookie: `plauder_session=${login.cookie}` },
        isGreeting: isType('welcome'),
      });
      sockets.push(ws);
      ws.on('message', (data: WebSocket.RawData) => {
        const text = frameText(data);
        const frame = parseObject(text);
        if (frame?.type !== 'inbox.assigned' || frame.operatorId !== login.id) return;
        if (typeof frame.conversationId === 'string') assignedTo.set(frame.conversationId, login.id);
      });
      const presence = nextFrame(ws, isType('presence'));
      ws.send(JSON.stringify({ type: 'presence.set', status: 'online', capacity: OPERATOR_CAPACITY }));
      await presence;
      return ws;
    });
    options.log(`${name}: ${options.operators} operators online with capacity ${OPERATOR_CAPACITY}`);

    const started = performance.now();
    const visitors = await inParallel(options.conversations, 20, async (i): Promise<LoadVisitor> => {
      const ws = await openSocket(`${wsBase}/ws/v1/visitor?token=${await visitorToken(base, publicKey)}`, {
        isGreeting: isType('welcome'),
      });
      sockets.push(ws);
      const reply = nextFrame(ws, (data) =>
        ['conversation.started', 'error'].includes(String(jsonField(data, 'type'))),
      );
      // The widget's default asks for consent first; the bench's visitors give it, as the window does.
      ws.send(JSON.stringify({ type: 'conversation.start', ref: `c${i}`, consent: { version: 'en-1' } }));
      const conversationId = jsonField(await reply, 'conversationId');
      if (typeof conversationId !== 'string') throw new Error(`conversation.start was refused: ${await reply}`);
      return { ws, conversationId };
    });
    const deadline = performance.now() + 60_000;
    while (visitors.some((v) => !assignedTo.has(v.conversationId))) {
      if (performance.now() > deadline) {
        const missing = visitors.filter((v) => !assignedTo.has(v.conversationId)).length;
        throw new Error(`${missing} of ${visitors.length} conversations reached no operator within 60 s`);
      }
      await sleep(50);
    }
    for (const ws of operators) ws.removeAllListeners('message');
    options.log(
      `${name}: ${visitors.length} conversations started and routed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    return {
      name,
      base,
      ownerHeaders: { cookie: `plauder_session=${owner.cookie}`, 'x-csrf-token': owner.csrf },
      child,
      visitors,
      operators,
      visitorFrame(data) {
        const frame = parseObject(data);
        if (frame?.type === 'message.ack') {
          return { kind: 'ack', ref: typeof frame.clientMessageId === 'string' ? frame.clientMessageId : undefined };
        }
        if (frame?.type === 'error') {
          return {
            kind: 'error',
            code: String(frame.code),
            ref: typeof frame.ref === 'string' ? frame.ref : undefined,
          };
        }
        // The visitor's own message.created echo, queue and assignment news.
        return { kind: 'other' };
      },
      operatorBody(data) {
        const frame = parseObject(data);
        if (frame?.type !== 'message.created' || fieldOf(frame.message, 'authorKind') !== 'visitor') return undefined;
        const body = fieldOf(frame.message, 'body');
        return typeof body === 'string' ? body : undefined;
      },
      async prepareIdle(count) {
        const tokens = await inParallel(count, 20, () => visitorToken(base, publicKey));
        return async () => {
          const idle = await inParallel(count, 50, (i) =>
            // Safe: one token per index below count.
            openSocket(`${wsBase}/ws/v1/visitor?token=${tokens[i]!}`, { isGreeting: isType('welcome') }),
          );
          return idle;
        };
      },
      async close() {
        await closeSockets(sockets);
        await child.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await closeSockets(sockets);
    await stopChild();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
