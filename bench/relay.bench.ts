/**
 * 1,000 concurrent conversations on one node: the real server (`plauder serve`, a child process)
 * against a raw `ws` relay (another child process) measured in the same run, driven by the same client
 * in this process. Visitor → operator p99 latency at 2,000 msg/s, maximum sustained persisted
 * (acknowledged) messages/s, and RSS per idle visitor socket. SQLite by default; PostgreSQL when
 * DATABASE_URL is set (a scratch database is made on that server and dropped after). Results on stdout
 * (DESIGN §6), progress on stderr. Run with `npm run bench -- relay`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { median } from './lib/measure.js';
import { LoadDriver, percentile, type RoundResult } from './lib/relay-load.js';
import { startPlauder } from './lib/relay-plauder.js';
import { createScratchDatabase, settledMemoryKb } from './lib/relay-processes.js';
import { closeSockets, startRawRelay, type Target } from './lib/relay-sockets.js';
import { progress, report } from './lib/report.js';

const BENCH = 'relay';
const CONVERSATIONS = 1000;
/** Operators of the account; presence.set allows a capacity of 100 at most, so 10 take 1,000 chats. */
const OPERATORS = 10;
const RATE_PER_S = 2000;
/** A typical chat line; the send time and a sequence number lead it. */
const BODY_CHARS = 100;
const LATENCY_ROUNDS = 3;
const THROUGHPUT_ROUNDS = 5;
const WARMUP_MS = 500;
const MEASURE_MS = 2000;
/** A server that cannot keep up with 2,000 msg/s works off its backlog after each paced round. */
const DRAIN_TIMEOUT_MS = 120_000;
const IDLE_BATCHES = 3;
const IDLE_PER_BATCH = 1000;

const log = (message: string) => progress(BENCH, message);
const ms = (x: number) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toPrecision(3)} ms`);
const pct = (x: number) => `${Math.round(x * 100)}%`;

function describeRound(name: string, result: RoundResult, paced: boolean): string {
  const errors = [...result.errors].map(([code, n]) => `${code} ×${n}`).join(', ');
  const rate = paced
    ? `acked ${Math.round(result.ackedWhileSendingPerS)} and delivered ${Math.round(result.deliveredPerS)} msg/s while offered ${RATE_PER_S}`
    : `${Math.round(result.ackedPerS)} acked msg/s`;
  // A round may deliver nothing, e.g. a profiled server's warm-up while its writer thread still loads.
  const latency =
    result.latenciesMs.length === 0
      ? 'nothing delivered'
      : `p50 ${ms(percentile(result.latenciesMs, 50))}, p99 ${ms(percentile(result.latenciesMs, 99))}`;
  return (
    `${name} ${latency}, ${rate}, ` +
    `drain ${ms(result.drainMs)}, cpu server ${pct(result.serverCpu)} client ${pct(result.clientCpu)}` +
    (errors ? `, error frames: ${errors}` : '') +
    (result.duplicates > 0 ? `, ${result.duplicates} DUPLICATE deliveries` : '')
  );
}

/**
 * rss_per_socket_kb: the server child's RSS growth per idle visitor socket, in batches of 1,000 that
 * stay open, each read after a full garbage collection in the child.
 */
async function rssPerSocket(targets: { plauder: Target; raw: Target }, metric: string): Promise<void> {
  const perSocketKb = { plauder: [] as number[], raw: [] as number[] };
  for (const [side, target] of [
    ['raw', targets.raw],
    ['plauder', targets.plauder],
  ] as const) {
    const idle: WebSocket[] = [];
    // Batch 0 is discarded: its sockets first fill the heap space that the setup's garbage left free.
    for (let batch = 0; batch <= IDLE_BATCHES; batch++) {
      const open = await target.prepareIdle(IDLE_PER_BATCH);
      const before = await settledMemoryKb(target.child, { samples: 5, intervalMs: 100 });
      idle.push(...(await open()));
      const after = await settledMemoryKb(target.child, { samples: 5, intervalMs: 100 });
      const kb = (after.rssKb - before.rssKb) / IDLE_PER_BATCH;
      if (batch > 0) perSocketKb[side].push(kb);
      log(
        `  ${side} ${batch === 0 ? 'warm-up batch' : `batch ${batch}`}: RSS ${before.rssKb} → ${after.rssKb} KB with ${idle.length} idle sockets, ` +
          `${kb.toFixed(1)} KB each (heap and Buffers ${((after.heapKb - before.heapKb) / IDLE_PER_BATCH).toFixed(1)} KB each)`,
      );
    }
    await closeSockets(idle);
  }
  report({
    bench: BENCH,
    metric,
    unit: 'KB',
    value: median(perSocketKb.plauder),
    baseline: median(perSocketKb.raw),
    target: 'value <= 30',
  });
}

/**
 * Runs `round` on every side `rounds` times, each round in another order (a rotation), so that no
 * side always goes first. With `warmUp`, a round 0 before them warms every side up (JIT, key caches,
 * database pages) and is discarded.
 */
async function alternate<Side extends string>(options: {
  rounds: number;
  warmUp: boolean;
  drivers: Record<Side, LoadDriver>;
  round: (driver: LoadDriver) => Promise<RoundResult>;
  describe: (name: string, result: RoundResult) => string;
}): Promise<Record<Side, RoundResult[]>> {
  const { drivers, round, describe } = options;
  const sides = Object.keys(drivers) as Side[];
  const results = Object.fromEntries(sides.map((side) => [side, [] as RoundResult[]])) as Record<Side, RoundResult[]>;
  for (let i = options.warmUp ? 0 : 1; i <= options.rounds; i++) {
    const order = sides.map((_, k) => sides[(i + k) % sides.length] as Side);
    for (const side of order) {
      const result = await round(drivers[side]);
      log(`  ${i === 0 ? 'warm-up' : `round ${i}`}: ${describe(side, result)}`);
      if (i > 0) results[side].push(result);
    }
  }
  return results;
}

/** The closed-loop rounds of throughput_msgs_per_s: a warm-up, then THROUGHPUT_ROUNDS per side. */
function throughputRounds<Side extends string>(drivers: Record<Side, LoadDriver>) {
  return alternate({
    rounds: THROUGHPUT_ROUNDS,
    warmUp: true,
    drivers,
    round: (driver) =>
      driver.closedLoop({ warmupMs: WARMUP_MS, measureMs: MEASURE_MS, drainTimeoutMs: DRAIN_TIMEOUT_MS }),
    describe: (name, result) => describeRound(name, result, false),
  });
}

/** The paced rounds of the p99 metrics: LATENCY_ROUNDS per side at RATE_PER_S. */
function latencyRounds<Side extends string>(drivers: Record<Side, LoadDriver>) {
  return alternate({
    rounds: LATENCY_ROUNDS,
    warmUp: false,
    drivers,
    round: (driver) =>
      driver.paced({
        ratePerS: RATE_PER_S,
        warmupMs: WARMUP_MS,
        measureMs: MEASURE_MS,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
      }),
    describe: (name, result) => describeRound(name, result, true),
  });
}

const ackedPerS = (results: RoundResult[]) => median(results.map((r) => r.ackedPerS));
const p99 = (results: RoundResult[]) => median(results.map((r) => percentile(r.latenciesMs, 99)));

/**
 * RELAY_COMPARE_DIR: this checkout's server against another checkout's (another revision, prepared
 * by hand: see bench/README.md), instead of against the raw relays. Both run the same rounds, taking
 * turns, so the machine's drift between runs falls out of the ratio; the report lines compare the two.
 */
async function compareCheckouts(options: {
  compareDir: string;
  databaseUrl: string | undefined;
  suffix: string;
  cleanup: (() => Promise<void>)[];
  targets: Target[];
}): Promise<void> {
  const { cleanup, targets, suffix } = options;
  const root = path.resolve(options.compareDir);
  if (!existsSync(path.join(root, 'apps/server/src/cli/run.ts')) || !existsSync(path.join(root, 'node_modules'))) {
    throw new Error(`RELAY_COMPARE_DIR ${root} is no checkout of Plauder with node_modules; see bench/README.md`);
  }
  const start = async (name: string, from: string | undefined) => {
    // Each its own database: a PostgreSQL scratch database is made for the second one too.
    let databaseUrl = options.databaseUrl;
    if (databaseUrl && from) {
      const scratch = await createScratchDatabase(process.env.DATABASE_URL as string);
      cleanup.push(() => scratch.drop());
      databaseUrl = scratch.url;
    }
    const target = await startPlauder({
      databaseUrl,
      conversations: CONVERSATIONS,
      operators: OPERATORS,
      log,
      name,
      ...(from ? { root: from } : {}),
    });
    cleanup.unshift(() => target.close());
    targets.push(target);
    return target;
  };
  const other = await start('other', root);
  const plauder = await start('plauder', undefined);
  const drivers = {
    plauder: new LoadDriver(plauder, { bodyChars: BODY_CHARS }),
    other: new LoadDriver(other, { bodyChars: BODY_CHARS }),
  };
  log(`throughput: ${THROUGHPUT_ROUNDS} closed-loop rounds each, this checkout (plauder) and ${root} (other)`);
  const closed = await throughputRounds(drivers);
  report({
    bench: BENCH,
    metric: `throughput_msgs_per_s_vs_other_checkout${suffix}`,
    unit: 'msg/s',
    value: ackedPerS(closed.plauder),
    baseline: ackedPerS(closed.other),
    target: 'ratio > 1: this checkout stores more',
  });
  log(`p99: ${LATENCY_ROUNDS} rounds of ${RATE_PER_S} msg/s each`);
  const paced = await latencyRounds(drivers);
  report({
    bench: BENCH,
    metric: `p99_ms_vs_other_checkout${suffix}`,
    unit: 'ms',
    value: p99(paced.plauder),
    baseline: p99(paced.other),
    target: 'ratio < 1: this checkout answers sooner',
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const serverUrl = process.env.DATABASE_URL;
  const dialect = serverUrl ? 'postgres' : 'sqlite';
  // The dialect is part of the metric name on PostgreSQL: report lines have a fixed set of keys.
  const suffix = serverUrl ? '_postgres' : '';
  const compareDir = process.env.RELAY_COMPARE_DIR;
  const cleanup: (() => Promise<void>)[] = [];
  const targets: Target[] = [];
  try {
    let databaseUrl: string | undefined;
    if (serverUrl) {
      const scratch = await createScratchDatabase(serverUrl);
      cleanup.push(() => scratch.drop());
      databaseUrl = scratch.url;
      log(`PostgreSQL scratch database ${new URL(scratch.url).pathname.slice(1)}`);
    }
    log(`${CONVERSATIONS} conversations over ${OPERATORS} operator sockets, Plauder on ${dialect}`);
    if (compareDir) {
      await compareCheckouts({ compareDir, databaseUrl, suffix, cleanup, targets });
      return;
    }
    const raw = await startRawRelay({ conversations: CONVERSATIONS, operators: OPERATORS });
    cleanup.unshift(() => raw.close());
    targets.push(raw);
    log(`raw relay: pid ${raw.child.pid}, ${CONVERSATIONS} visitor sockets paired`);
    const durable = await startRawRelay({ conversations: CONVERSATIONS, operators: OPERATORS, durable: true });
    cleanup.unshift(() => durable.close());
    targets.push(durable);
    log(`durable raw relay: pid ${durable.child.pid}, ${CONVERSATIONS} visitor sockets paired`);
    const plauder = await startPlauder({ databaseUrl, conversations: CONVERSATIONS, operators: OPERATORS, log });
    cleanup.unshift(() => plauder.close());
    targets.push(plauder);

    log(`rss_per_socket_kb: 1 + ${IDLE_BATCHES} batches of ${IDLE_PER_BATCH} idle visitor sockets per side`);
    await rssPerSocket({ plauder, raw }, `rss_per_socket_kb${suffix}`);

    const drivers = {
      plauder: new LoadDriver(plauder, { bodyChars: BODY_CHARS }),
      raw: new LoadDriver(raw, { bodyChars: BODY_CHARS }),
    };
    const durableDriver = new LoadDriver(durable, { bodyChars: BODY_CHARS });
    // Throughput first: its warm-up round warms both sides for the latency rounds too.
    log(`throughput_msgs_per_s: ${THROUGHPUT_ROUNDS} closed-loop rounds, one message in flight per visitor`);
    const closed = await throughputRounds(drivers);
    report({
      bench: BENCH,
      metric: `throughput_msgs_per_s${suffix}`,
      unit: 'msg/s',
      value: ackedPerS(closed.plauder),
      baseline: ackedPerS(closed.raw),
      target: 'ratio >= 0.25',
    });

    log(`p99_ms: ${LATENCY_ROUNDS} rounds of ${RATE_PER_S} msg/s for ${WARMUP_MS} + ${MEASURE_MS} ms (measured)`);
    const paced = await latencyRounds({ ...drivers, durable: durableDriver });
    report({
      bench: BENCH,
      metric: `p99_ms${suffix}`,
      unit: 'ms',
      value: p99(paced.plauder),
      baseline: p99(paced.raw),
      target: 'ratio <= 5',
    });
    // The same p99 against a relay that, like Plauder, acks and forwards only what is on disk.
    report({
      bench: BENCH,
      metric: `p99_ms_durable_baseline${suffix}`,
      unit: 'ms',
      value: p99(paced.plauder),
      baseline: p99(paced.durable),
      target: 'ratio <= 5',
    });

    const duplicates = [...paced.plauder, ...closed.plauder].reduce((sum, r) => sum + r.duplicates, 0);
    if (duplicates > 0) log(`Plauder delivered ${duplicates} messages twice to an operator`);
  } finally {
    // Also after a failure: what the servers logged is often its explanation.
    for (const target of targets) {
      const notes = target.child.notes;
      log(`${target.name} server printed ${notes.length} warning or error line(s)${notes.length ? ':' : ''}`);
      for (const line of notes.slice(0, 10)) log(`  ${line.slice(0, 400)}`);
    }
    for (const step of cleanup) {
      await step().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
    }
    log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[${BENCH}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
