/**
 * A bulk delete of 1,000,000 messages on SQLite while 200 conversations chat: the real server
 * (`plauder serve`, a child process) with 10,000 old conversations of 100 messages each, erased by one
 * `POST /api/v1/deletions` job, while 200 visitors send messages to their operators. Reports the
 * messages deleted per second (against plain SQLite deleting as many plain rows in the same batches,
 * in the same run) and the chat's p99 latency during the delete (against its p99 without one).
 * Results on stdout (DESIGN §6), progress on stderr. Run with `npm run bench -- bulk-delete`.
 */
import type { JobDto } from '@plauder/protocol';
import { performance } from 'node:perf_hooks';
import { LoadDriver, percentile, type RoundResult } from './lib/relay-load.js';
import { startPlauder, type PlauderTarget } from './lib/relay-plauder.js';
import { plainDeleteRate } from './lib/plain-delete.js';
import { progress, report } from './lib/report.js';

const BENCH = 'bulk-delete';
/** 10,000 (1,000,000 messages), as the issue asks; BULK_DELETE_CONVERSATIONS sets fewer for quicker tuning runs. */
const OLD_CONVERSATIONS = conversationCount(process.env.BULK_DELETE_CONVERSATIONS);
const MESSAGES_EACH = 100;
const CHATTING = 200;
const OPERATORS = 2;
/** Each chatting visitor sends a message a second. */
const RATE_PER_S = 200;
const BODY_CHARS = 100;
const ROUND = { warmupMs: 250, measureMs: 1000, drainTimeoutMs: 60_000 };
const BASELINE_ROUNDS = 8;
const DAY_MS = 24 * 60 * 60 * 1000;

const log = (message: string) => progress(BENCH, message);

function conversationCount(setting: string | undefined): number {
  if (setting === undefined) return 10_000;
  const count = Number(setting);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`BULK_DELETE_CONVERSATIONS must be a positive integer, not ${setting}`);
  return count;
}

async function api(target: PlauderTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${target.base}${path}`, {
    method,
    headers: { ...target.ownerHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

function describe(result: RoundResult): string {
  const errors = [...result.errors].map(([code, n]) => `${code} ×${n}`).join(', ');
  return (
    `p50 ${percentile(result.latenciesMs, 50).toFixed(2)} ms, p99 ${percentile(result.latenciesMs, 99).toFixed(2)} ms, ` +
    `${result.latenciesMs.length} messages` +
    (errors ? `, error frames: ${errors}` : '')
  );
}

async function chatRounds(driver: LoadDriver, rounds: number, label: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const result = await driver.paced({ ratePerS: RATE_PER_S, ...ROUND });
    latencies.push(...result.latenciesMs);
    log(`  ${label} round ${i + 1}: ${describe(result)}`);
  }
  return latencies;
}

async function main(): Promise<void> {
  const messages = OLD_CONVERSATIONS * MESSAGES_EACH;
  log(`plain SQLite: deleting ${messages} plain rows in the same batches …`);
  const plain = await plainDeleteRate({ rows: messages, rowsPerConversation: MESSAGES_EACH, log });
  log(`plain SQLite: ${Math.round(plain)} rows/s`);

  log(`seeding ${OLD_CONVERSATIONS} old conversations of ${MESSAGES_EACH} messages (a few minutes) …`);
  const target = await startPlauder({
    databaseUrl: undefined,
    conversations: CHATTING,
    operators: OPERATORS,
    log,
    seed: {
      script: 'bench/lib/bulk-delete-seed.ts',
      args: [String(OLD_CONVERSATIONS), String(MESSAGES_EACH), String(2 * DAY_MS)],
    },
    env: { JOBS_POLL_INTERVAL_MS: '100' },
  });
  try {
    const driver = new LoadDriver(target, { bodyChars: BODY_CHARS });
    const filter = { createdTo: Date.now() - DAY_MS };
    const preview = (await api(target, 'POST', '/api/v1/deletions/preview', { filter })) as {
      conversations: number;
      messages: number;
    };
    if (preview.messages !== messages)
      throw new Error(`The filter matches ${preview.messages} messages, not ${messages}`);

    log(`chat without a delete: ${BASELINE_ROUNDS} rounds at ${RATE_PER_S} msg/s over ${CHATTING} conversations`);
    // The first round pays for cold caches and the first checkpoint of the seeded WAL: discarded.
    await chatRounds(driver, 1, 'warm-up');
    const before = await chatRounds(driver, BASELINE_ROUNDS, 'without');

    const started = (await api(target, 'POST', '/api/v1/deletions', { filter, confirm: true })) as JobDto;
    log(`delete job ${started.id} queued for ${preview.conversations} conversations, ${preview.messages} messages`);
    const during: number[] = [];
    let job = started;
    const deadline = performance.now() + 30 * 60_000;
    while (job.status === 'queued' || job.status === 'running') {
      if (performance.now() > deadline) throw new Error('The delete job took over 30 minutes');
      const result = await driver.paced({ ratePerS: RATE_PER_S, ...ROUND });
      job = (await api(target, 'GET', `/api/v1/jobs/${started.id}`)) as JobDto;
      // A round counts as "during" only if the delete ran for all of it: the last one may have ended early.
      if (job.status === 'running') during.push(...result.latenciesMs);
      log(`  during round: ${describe(result)}; job ${job.status} ${job.done}/${job.total ?? '?'} ${job.unit ?? ''}`);
    }
    if (job.status !== 'done' || job.startedAt === null || job.finishedAt === null) {
      throw new Error(`The delete job ended ${job.status}: ${job.lastError ?? 'no error given'}`);
    }
    const deleted = Number(job.result?.messages ?? 0);
    if (deleted !== messages) throw new Error(`The job reports ${deleted} messages deleted, not ${messages}`);
    const left = (await api(target, 'POST', '/api/v1/deletions/preview', { filter })) as { messages: number };
    if (left.messages !== 0) throw new Error(`${left.messages} messages are left after the delete`);
    const seconds = (job.finishedAt - job.startedAt) / 1000;
    log(`deleted ${deleted} messages in ${seconds.toFixed(1)} s; ${during.length} chat messages measured during it`);
    if (during.length === 0) throw new Error('No chat round fell wholly inside the delete');

    const after = await chatRounds(driver, BASELINE_ROUNDS / 2, 'after');
    const without = [...before, ...after];
    report({
      bench: BENCH,
      metric: 'deleted_msgs_per_s',
      unit: 'msg/s',
      value: deleted / seconds,
      baseline: plain,
      target: 'value >= 50000',
    });
    report({
      bench: BENCH,
      metric: 'chat_p99_during_delete',
      unit: 'ms',
      value: percentile(during, 99),
      baseline: percentile(without, 99),
      target: 'ratio <= 2',
    });
  } finally {
    await target.close();
  }
}

await main();
