import { readdirSync, readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureDemoAccount } from '../cli/serve.js';
import { Worker } from '../jobs/worker.js';
import { watchOutboundConnections } from '../test-support/outbound-connections.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

// Promises P1/P9: the program reports to nobody and asks nobody for updates. Its only connections go
// to the stores its configuration declares, and to the hosts of optional functions an account turned on.

/** apps/server/src, whose program files are scanned. */
const SOURCE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The files (or folders, ending in /) that may open outbound connections, each with why. */
const MAY_CONNECT: ReadonlyMap<string, string> = new Map([
  [
    'domain/functions/',
    "the optional functions (email, translation, webhooks), off by default: every call passes the egress guard, to a host the function's processor declares",
  ],
  [
    'domain/deliveries/',
    "the deliveries of the optional functions webhooks and email, off by default: a webhook's host is resolved to refuse private addresses and posted to through the egress guard; mail goes to SMTP_URL once the guard allows it",
  ],
  ['storage/database.ts', 'the PostgreSQL pool, to DATABASE_URL'],
  ['adapters/bus/redis-bus.ts', 'the Redis bus, to REDIS_URL'],
  ['adapters/s3/create-s3-client.ts', 'the one maker of S3 clients, pinned to the configured endpoint and region'],
  ['adapters/file-store/s3-file-store.ts', 'attachments in the configured S3 bucket (S3_*)'],
  ['backup/s3-target.ts', 'backups to the configured S3 bucket (BACKUP_S3_*)'],
]);

/** Node modules that reach the network, and the value imports of each that do not (parsing, listening). */
const NETWORK_MODULES: ReadonlyMap<string, readonly string[]> = new Map([
  ['net', ['isIP', 'isIPv4', 'isIPv6', 'BlockList']],
  ['tls', []],
  ['http', ['createServer', 'STATUS_CODES']],
  ['https', ['createServer']],
  ['http2', []],
  ['dgram', []],
  ['dns', []],
  ['dns/promises', []],
  // A spawned curl or wget would be a connection no watcher in this process sees.
  ['child_process', []],
]);

/** Packages that are network clients; `ws` only for its client (its server takes connections). */
const CLIENT_PACKAGES: ReadonlyMap<string, readonly string[]> = new Map([
  ['pg', []],
  ['pg-cursor', []],
  ['ioredis', []],
  ['redis', []],
  ['nodemailer', []],
  ['undici', []],
  ['node-fetch', []],
  ['axios', []],
  ['got', []],
  ['ws', ['WebSocketServer']],
]);

/** Calls that open a connection without an import. */
const CALLS: readonly (readonly [what: string, pattern: RegExp])[] = [
  ['fetch()', /\bfetch\s*\(/],
  ['a WebSocket, EventSource or XMLHttpRequest client', /\bnew\s+(?:WebSocket|EventSource|XMLHttpRequest)\s*\(/],
];

/** The names an import clause brings in as values (`*` for all of the module); `undefined` when type-only. */
function valueBindings(clause: string): string[] | undefined {
  if (/^type\s/.test(clause)) return undefined;
  const named = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
  const values = named
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !part.startsWith('type '))
    .map((part) => part.split(/\s+as\s+/)[0]!);
  // A default or namespace import (`pg`, `* as net`) brings in everything.
  const whole = clause.replace(/\{[^}]*\}/, '').replace(/[\s,]/g, '');
  return whole === '' ? values : [...values, '*'];
}

/** Every way `text` (a program file) may open an outbound connection. */
function outboundUses(text: string): string[] {
  // Comments say "fetch()" too; `://` keeps URLs in strings whole.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const uses: string[] = [];
  for (const match of code.matchAll(/^\s*(?:import|export)\s+([^'";=()]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
    const [, clause = '', specifier = ''] = match;
    const node = NETWORK_MODULES.get(specifier.replace(/^node:/, ''));
    const client = specifier.startsWith('@aws-sdk/') ? [] : CLIENT_PACKAGES.get(specifier);
    const harmless = node ?? client;
    if (!harmless) continue;
    const values = valueBindings(clause)?.filter((name) => !harmless.includes(name)) ?? [];
    if (values.length > 0) uses.push(`imports ${values.join(', ')} from ${specifier}`);
  }
  for (const match of code.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g)) {
    const specifier = match[1]!;
    const bare = specifier.replace(/^node:/, '');
    if (NETWORK_MODULES.has(bare) || CLIENT_PACKAGES.has(specifier) || specifier.startsWith('@aws-sdk/')) {
      uses.push(`loads ${specifier}`);
    }
  }
  for (const [what, pattern] of CALLS) if (pattern.test(code)) uses.push(`calls ${what}`);
  return uses;
}

/** The program's files under apps/server/src, by path there: no tests, no test helpers (never loaded by it). */
function programFiles(): string[] {
  return readdirSync(SOURCE_ROOT, { recursive: true, encoding: 'utf8' })
    .map((name) => name.split(path.sep).join('/'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.startsWith('test-support/'))
    .sort();
}

/** The stores a test run declares, DATABASE_URL and REDIS_URL, as `host:port` as written and as resolved. */
async function declaredStores(): Promise<{ hosts: Set<string>; addresses: Set<string> }> {
  const hosts = new Set<string>();
  const addresses = new Set<string>();
  for (const [variable, defaultPort] of [
    ['DATABASE_URL', '5432'],
    ['REDIS_URL', '6379'],
  ] as const) {
    const value = process.env[variable];
    if (!value) continue;
    const url = new URL(value);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port || defaultPort;
    hosts.add(`${host}:${port}`);
    for (const { address } of await lookup(host, { all: true })) addresses.add(`${address}:${port}`);
  }
  return { hosts, addresses };
}

/** Where a call of `Socket.prototype.connect` goes, as `host:port` (or `unix:path`) before any DNS. */
function targetOf(args: unknown[]): string {
  // net.connect and tls.connect hand over their arguments normalized, as one array.
  const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (typeof first === 'object' && first !== null) {
    const { host, port, path: socketPath } = first as { host?: string; port?: number | string; path?: string };
    return socketPath === undefined ? `${host ?? 'localhost'}:${String(port)}` : `unix:${socketPath}`;
  }
  if (typeof first === 'string' && typeof second !== 'string' && Number.isNaN(Number(first))) return `unix:${first}`;
  return `${typeof second === 'string' ? second : 'localhost'}:${String(first)}`;
}

/**
 * Every TCP connection this thread begins, where it was asked to go, by wrapping net.Socket's connect:
 * net.connect, tls.connect (so https and fetch to https://) and pg's own sockets all pass it. The
 * `net.client.socket` channel of watchOutboundConnections sees only net.connect's sockets on Node 20:
 * not pg's (`new Socket().connect()`), not TLS ones.
 */
function watchSocketConnects(): { targets: string[]; stop: () => void } {
  const targets: string[] = [];
  // Safe: the wrapper passes every call through unchanged; only its overloads are lost to the type.
  const original = Socket.prototype.connect as (this: Socket, ...args: unknown[]) => Socket;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    targets.push(targetOf(args));
    return original.apply(this, args);
  };
  return {
    targets,
    stop: () => {
      Socket.prototype.connect = original;
    },
  };
}

describe('the server and telemetry', () => {
  it('recognizes an outbound connection in a program file, and lets parsing and listening be', () => {
    for (const text of [
      "await fetch('https://updates.example.net/latest');",
      "import https from 'node:https';",
      "import { request } from 'node:http';",
      "import { connect } from 'net';",
      "import * as dns from 'node:dns';",
      "import { Redis } from 'ioredis';",
      "import { WebSocket } from 'ws';",
      "import { PutObjectCommand } from '@aws-sdk/client-s3';",
      "const { execFile } = await import('node:child_process');",
      'const socket = new WebSocket(url);',
    ]) {
      expect(outboundUses(text), text).not.toEqual([]);
    }
    for (const text of [
      "import { isIP } from 'node:net';",
      "import type { IncomingMessage } from 'node:http';",
      "import { WebSocketServer, type WebSocket } from 'ws';",
      '// Answers before the fetch() of the window page.',
      "const docs = 'https://plauder.example/docs';",
    ]) {
      expect(outboundUses(text), text).toEqual([]);
    }
  });

  it('opens outbound connections only where it talks to its declared stores and the optional functions', () => {
    const files = programFiles();
    // Less means the scan looks in the wrong place.
    expect(files.length).toBeGreaterThan(100);
    const allowed = [...MAY_CONNECT.keys()];
    const connecting = files
      .map((file) => ({ file, uses: outboundUses(readFileSync(path.join(SOURCE_ROOT, file), 'utf8')) }))
      .filter(({ uses }) => uses.length > 0);
    const elsewhere = connecting.filter(({ file }) => !allowed.some((entry) => file.startsWith(entry)));
    expect(elsewhere).toEqual([]);
    // An entry of the list that no file needs any more goes, so the list stays short.
    const unneeded = allowed.filter((entry) => !connecting.some(({ file }) => file.startsWith(entry)));
    expect(unneeded).toEqual([]);
  });

  it(`connects to nothing but its declared stores while it starts, serves and runs a job poll (${testDialect})`, async () => {
    const declared = await declaredStores();
    const watch = watchOutboundConnections();
    const connects = watchSocketConnects();
    let t: TestContext | undefined;
    let app: App | undefined;
    let worker: Worker | undefined;
    try {
      // As `plauder serve` starts (cli/serve.ts), with the daily backup on as by default: it is due at
      // the test clock's noon, so the first poll runs it with the other due sweeps.
      t = await createTestContext({ env: { BACKUP_TIME: '03:00' } });
      await ensureDemoAccount(t.ctx);
      app = await buildServer(t.ctx);
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      for (const url of ['/readyz', '/', '/app/', '/widget/v1/loader.js']) {
        expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
      worker = new Worker(t.ctx);
      // The poll `start()` makes at once; stop() waits for the jobs it started.
      expect(await worker.poll()).toBeGreaterThan(0);
      await worker.stop();

      // Each connection begun, answered or not (an update check may fail to resolve), went to a store.
      expect(connects.targets.filter((target) => !declared.hosts.has(target))).toEqual([]);
      expect(watch.connected.filter((endpoint) => !declared.addresses.has(endpoint))).toEqual([]);
      // SQLite and the in-process bus: not a single socket.
      if (declared.hosts.size === 0) expect([connects.targets.length, watch.begun()]).toEqual([0, 0]);

      // Both watchers see a connection when there is one: this one, to the server itself.
      expect((await fetch(`${address}/healthz`)).status).toBe(200);
      const self = `127.0.0.1:${new URL(address).port}`;
      expect(connects.targets).toContain(self);
      expect(watch.connected).toContain(self);
    } finally {
      connects.stop();
      watch.stop();
      await worker?.stop();
      await app?.close();
      await t?.cleanup();
    }
  });
});
