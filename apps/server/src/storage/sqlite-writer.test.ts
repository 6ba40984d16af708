import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import type { MessageToAppend } from './append-message.js';
import { insertAuditEntry } from './audit-repository.js';
import { Checkpointer } from './checkpointer.js';
import { insertConversation } from './conversations-repository.js';
import { openDatabase, SQLITE_FILE, type Database } from './database.js';
import { sumRollups } from './rollup-sums.js';
import { localSlot } from './local-time.js';
import { openSqliteFile } from './sqlite-file.js';
import { SqliteWriter } from './sqlite-writer.js';
import { insertWidget } from './widgets-repository.js';
import { timeOrderedUuid } from '@plauder/protocol';

// Every thread the code under test starts, so that a test can end one as a crash would.
const threads = vi.hoisted(() => [] as Worker[]);
vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof WorkerThreads>();
  class RecordedWorker extends original.Worker {
    constructor(...args: ConstructorParameters<typeof original.Worker>) {
      super(...args);
      threads.push(this);
    }
  }
  return { ...original, Worker: RecordedWorker };
});

// The writer thread is SQLite's: a PostgreSQL run has nothing of it to test.
describe.skipIf(testDialect !== 'sqlite')('the SQLite writer thread', () => {
  let t: TestContext;
  let database: Database;
  let accountId: string;
  let operatorId: string;
  let conversationIds: string[];
  const errors: string[] = [];

  beforeEach(async () => {
    // Seeded through a context, then reopened as the server opens it, with a small WAL limit and
    // frequent checkpoints.
    t = await createTestContext();
    ({ accountId, operatorId } = await seedOwnerAccount(t.ctx, 'writer'));
    const now = t.clock.now();
    const widget = await insertWidget(t.ctx.database.db, { accountId, name: 'Website', now });
    conversationIds = [];
    for (let i = 0; i < 8; i++) {
      conversationIds.push(
        await insertConversation(t.ctx.store, { accountId, widgetId: widget.id, visitorId: null, now }),
      );
    }
    await t.ctx.database.close();
    errors.length = 0;
    threads.length = 0;
    let checkpointing = () => {};
    const started = new Promise<void>((resolve) => (checkpointing = resolve));
    database = openDatabase({
      databaseUrl: undefined,
      dataDir: t.dataDir,
      writerThread: {
        onError: (message) => errors.push(message),
        onCheckpointing: () => checkpointing(),
        restartFrames: 64,
        intervalMs: 10,
      },
    });
    // From the TypeScript sources the thread takes a few hundred milliseconds to start (tsx), during
    // which nothing copies the WAL; a build's starts at once.
    await started;
  });
  afterEach(async () => {
    await database.close();
    await t.cleanup();
  });

  /** The audit entries of erasure batches, in the order written. */
  const erasureEntries = () =>
    database.db
      .selectFrom('audit_log')
      .select(['count', 'target_ids'])
      .where('action', '=', 'conversations.erased')
      .orderBy('id')
      .execute();

  const note = (i: number, overrides: Partial<MessageToAppend> = {}): MessageToAppend => ({
    accountId,
    conversationId: conversationIds[i % conversationIds.length] as string,
    clientMessageId: randomUUID(),
    author: { kind: 'operator', operatorId },
    kind: 'note',
    messageId: timeOrderedUuid(t.clock.now()),
    // A sealed body's size; the writer stores the bytes as given.
    bodySealed: randomBytes(3000),
    now: t.clock.now(),
    ...overrides,
  });

  const count = async (table: 'messages' | 'audit_log') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** The operator messages the account's rollups counted today. */
  const messagesCounted = async () => {
    const day = localSlot('UTC', t.clock.now()).day;
    const sums = await sumRollups(database.db, { accountId, fromDay: day, toDay: day });
    return sums.find((sum) => sum.metric === 'messages.operator')?.value ?? 0;
  };

  it('keeps the WAL small under a steady stream of messages, by letting it start over', async () => {
    // About 12 MB of messages, written without a pause: a checkpoint beside them never copies the WAL
    // in full, so without catching up the WAL would hold all of it.
    for (let round = 0; round < 100; round++) {
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => database.appendMessage(note(i))));
      expect(outcomes.every((outcome) => outcome.status === 'stored')).toBe(true);
    }
    // The file keeps the largest size the WAL ever had. Under a loaded machine a catch-up can come a few
    // hundred milliseconds late (3.4 MB seen); without catch-ups the WAL grew to 22 MB.
    const walBytes = statSync(path.join(t.dataDir, `${SQLITE_FILE}-wal`)).size;
    expect(walBytes).toBeLessThan(6_000_000);
    expect(await count('messages')).toBe(4000);
    expect(errors).toEqual([]);
  });

  it('keeps the WAL small under a stream of writes of the main thread alone, before any message', async () => {
    const value = 'x'.repeat(3000);
    for (let round = 0; round < 100; round++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          database.db
            .insertInto('meta')
            .values({ key: `row.${round}.${i}`, value })
            .execute(),
        ),
      );
    }
    // As above; without catch-ups the WAL grew to 68 MB.
    const walBytes = statSync(path.join(t.dataDir, `${SQLITE_FILE}-wal`)).size;
    expect(walBytes).toBeLessThan(6_000_000);
    expect(errors).toEqual([]);
  });

  it('numbers the messages of a conversation 1, 2, 3… in the order they were asked for', async () => {
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => database.appendMessage(note(0))));
    expect(outcomes.map((outcome) => ('seq' in outcome ? outcome.seq : undefined))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('lets the main thread write meanwhile, never waiting inside SQLite for the lock the thread holds', async () => {
    // With no wait for the lock, a write of the main thread that met the thread's transaction would
    // fail at once with SQLITE_BUSY: it must wait, outside SQLite, until the thread holds still.
    await sql`pragma busy_timeout = 0`.execute(database.db);
    const audit = (i: number) =>
      database.db.transaction().execute((trx) =>
        insertAuditEntry(trx, {
          accountId,
          actorKind: 'system',
          actorId: null,
          action: `main.${i}`,
          targetKind: null,
          targetIds: [],
          at: t.clock.now(),
        }),
      );
    const before = await count('audit_log');
    // The thread started, so that its batches run while the main thread writes.
    await database.appendMessage(note(0));
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 40; j++) writes.push(database.appendMessage(note(j)));
      // Into the middle of the thread's batches; a write outside any transaction takes the same way.
      await new Promise((resolve) => setTimeout(resolve, 2));
      writes.push(audit(i), sql`update meta set value = value where key = 'data_region'`.execute(database.db));
    }
    const results = await Promise.allSettled(writes);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(await count('messages')).toBe(1201);
    expect(await count('audit_log')).toBe(before + 30);
  });

  it('erases a batch of conversations on the thread between its group commits, the main thread writing meanwhile', async () => {
    await sql`pragma busy_timeout = 0`.execute(database.db);
    await Promise.all(Array.from({ length: 80 }, (_, i) => database.appendMessage(note(i))));
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) writes.push(database.appendMessage(note(2 + (i % 6))));
    const batch = {
      accountId,
      conversationIds: [conversationIds[0] as string, conversationIds[1] as string, randomUUID()],
      reason: 'bulk delete',
      now: t.clock.now(),
      audit: { action: 'conversations.erased', actorKind: 'system' as const, actorId: null },
    };
    const erasing = database.eraseBatch(batch);
    for (let i = 0; i < 60; i++) writes.push(database.appendMessage(note(2 + (i % 6))));
    writes.push(sql`update meta set value = value where key = 'data_region'`.execute(database.db));

    // A hold (this write's, or a checkpoint's catch-up) ends a batch early: the rest goes in another
    // batch, as eraseConversations sends it.
    const erased = [await erasing];
    const processed = () => erased.reduce((sum, e) => sum + e.processed, 0);
    while (processed() < batch.conversationIds.length) {
      erased.push(await database.eraseBatch({ ...batch, conversationIds: batch.conversationIds.slice(processed()) }));
    }
    expect(erased.flatMap((e) => e.conversationIds)).toEqual([conversationIds[0], conversationIds[1]]);
    expect(erased.reduce((sum, e) => sum + e.messages, 0)).toBe(20);
    expect(erased.flatMap((e) => e.keyIds)).toHaveLength(2);
    expect(erased[0]?.transactionMs).toBeGreaterThan(0);
    const results = await Promise.allSettled(writes);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(await count('messages')).toBe(60 + 120);
    // One entry per transaction of the batch (it gave way to the messages between them), together
    // naming both conversations and their 20 messages.
    const entries = await erasureEntries();
    expect(entries.reduce((sum, entry) => sum + (entry.count ?? 0), 0)).toBe(20);
    expect(entries.flatMap((entry) => JSON.parse(entry.target_ids) as string[])).toEqual([
      conversationIds[0],
      conversationIds[1],
    ]);
  });

  it('gives way to the messages sent during an erasure batch: they commit between its transactions', async () => {
    await Promise.all(Array.from({ length: 6 * 50 }, (_, i) => database.appendMessage(note(i % 6))));
    const writer = new SqliteWriter(
      { file: path.join(t.dataDir, SQLITE_FILE), autocheckpointPages: 1000 },
      { onError: (message) => errors.push(message) },
    );
    try {
      await writer.append(note(7));
      // Held, so that the message is queued behind the batch before the batch begins.
      const release = await writer.hold();
      const answered: string[] = [];
      const erasing = writer
        .erase({
          accountId,
          conversationIds: conversationIds.slice(0, 6),
          reason: 'bulk delete',
          now: t.clock.now(),
          audit: { action: 'conversations.erased', actorKind: 'system', actorId: null },
        })
        .then((erased) => {
          answered.push('erasure');
          return erased;
        });
      const sent = writer.append(note(7)).then(() => answered.push('message'));
      // The message is posted on the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      release();
      const erased = await erasing;
      await sent;
      expect(erased).toMatchObject({ conversationIds: conversationIds.slice(0, 6), messages: 300 });
      expect(answered).toEqual(['message', 'erasure']);
      const entries = await erasureEntries();
      // The first step deleted the batch's words; the message waiting then, its transaction committed
      // alone, and the batch went on in another.
      expect(entries.flatMap((entry) => JSON.parse(entry.target_ids) as string[])).toEqual(conversationIds.slice(0, 6));
      expect(entries.reduce((sum, entry) => sum + (entry.count ?? 0), 0)).toBe(300);
    } finally {
      await writer.close();
    }
  });

  it('grants a hold only on the thread’s answer to it, not on that of a thread started held', async () => {
    const file = path.join(t.dataDir, SQLITE_FILE);
    const writer = new SqliteWriter(
      { file, autocheckpointPages: 1000 },
      { onError: (message) => errors.push(message) },
    );
    const other = openSqliteFile(file);
    other.pragma('busy_timeout = 0');
    try {
      // Granted at once, with no thread to hold; the messages then start one, held, whose answer to
      // that hold nobody waits for.
      const release = await writer.hold();
      const appended = Array.from({ length: 200 }, (_, i) => writer.append(note(i)));
      release();
      // The messages reach the thread before the next hold does: its batch may be running then.
      await new Promise((resolve) => setImmediate(resolve));
      const releaseAgain = await writer.hold();
      // Held for real: the batch the thread was in when the hold reached it has committed, and no
      // transaction of the thread is open, so another connection writes at once.
      const stored = other.prepare('select count(*) as n from messages').get() as { n: number };
      expect(stored.n).toBe(200);
      expect(() => other.prepare(`update meta set value = value where key = 'data_region'`).run()).not.toThrow();
      releaseAgain();
      expect((await Promise.all(appended)).every((outcome) => outcome.status === 'stored')).toBe(true);
    } finally {
      await writer.close();
      other.close();
    }
  });

  it('answers a message that fails with its own error, and stores the others of its batch', async () => {
    const results = await Promise.allSettled([
      database.appendMessage(note(0)),
      // The database's check on the kind refuses it on the thread.
      database.appendMessage(note(1, { kind: 'bogus' as 'note' })),
      database.appendMessage(note(2)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/CHECK constraint failed/);
    expect(await count('messages')).toBe(2);
    // The batch rolled back and its messages ran again one by one: the two stored count once each.
    expect(await messagesCounted()).toBe(2);
  });

  it('counts every message of a shared batch in the rollups once', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => database.appendMessage(note(i))));
    expect(await messagesCounted()).toBe(50);
  });

  it('stores and answers the messages asked for before a close', async () => {
    const outcomes = Array.from({ length: 60 }, (_, i) => database.appendMessage(note(i)));
    await database.close();
    expect((await Promise.all(outcomes)).every((outcome) => outcome.status === 'stored')).toBe(true);
    await expect(database.appendMessage(note(0))).rejects.toThrow(/closing/);
    database = openDatabase({ databaseUrl: undefined, dataDir: t.dataDir });
    expect(await count('messages')).toBe(60);
  });

  it('fails the messages of a thread that ends unexpectedly, and stores the next ones on a new thread', async () => {
    // The first message starts the writer thread (the checkpoint thread started with the database).
    expect((await database.appendMessage(note(0))).status).toBe('stored');
    const writer = threads.at(-1);
    if (!writer) throw new Error('no writer thread was started');
    const lost = Array.from({ length: 20 }, () => database.appendMessage(note(0)));
    // Ended once the messages were posted to it, before it could answer all of them.
    await new Promise((resolve) => setImmediate(resolve));
    await writer.terminate();
    const outcomes = await Promise.allSettled(lost);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/writer thread ended before it answered/);
    // A thread can end after its commit and before its answers: a failed message may be stored.
    const stored = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    const committed = await count('messages');
    expect(committed).toBeGreaterThanOrEqual(1 + stored);
    // A new thread takes the next message, and the seq goes on after what the old one committed.
    const next = await database.appendMessage(note(0));
    expect(next).toMatchObject({ status: 'stored', seq: committed + 1 });
    expect(threads.at(-1)).not.toBe(writer);
  });

  it('reports a checkpoint thread that ends on its own, and answers a catch-up asked after that at once', async () => {
    const reported: string[] = [];
    let lost = false;
    // A database file its thread cannot open: the thread fails and ends at its start.
    const checkpointer = new Checkpointer({
      file: path.join(t.dataDir, 'missing', 'nowhere.db'),
      onError: (message) => reported.push(message),
      onLost: () => {
        lost = true;
      },
    });
    await expect.poll(() => lost, { timeout: 5000 }).toBe(true);
    expect(reported.join(' ')).toMatch(/directory does not exist|unable to open/);
    expect(await checkpointer.catchUp()).toBe(false);
    // Undefined, not false: the caller's own connection must checkpoint.
    expect(await checkpointer.truncate()).toBeUndefined();
    await checkpointer.stop();
  });

  it('empties the WAL from its own connection once the checkpoint thread has ended', async () => {
    // Started with the database; the writer thread starts at the first message.
    expect(threads).toHaveLength(1);
    const [checkpointThread] = threads;
    await Promise.all(Array.from({ length: 20 }, (_, i) => database.appendMessage(note(i))));
    await checkpointThread?.terminate();
    await database.appendMessage(note(0));
    const wal = path.join(t.dataDir, `${SQLITE_FILE}-wal`);
    expect(statSync(wal).size).toBeGreaterThan(0);
    expect(await database.truncateWal?.()).toBe(true);
    expect(statSync(wal).size).toBe(0);
    expect(await count('messages')).toBe(21);
  });

  /**
   * Runs `body` in a process of its own (a test runner's process has other things that keep it
   * running), as a module file: `--eval` would make the checkpoint thread's own script a module too,
   * where it cannot start. Answers what it printed; fails on anything printed to stderr.
   */
  const runAlone = async (body: string) => {
    const script = path.join(t.dataDir, 'alone.mjs');
    const checkpointer = JSON.stringify(new URL('./checkpointer.ts', import.meta.url).href);
    writeFileSync(script, `import { Checkpointer } from ${checkpointer};\n${body}`);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: path.dirname(new URL(import.meta.url).pathname),
    });
    expect(stderr).toBe('');
    return stdout.trim();
  };

  it('keeps a process that waits for a catch-up and nothing else running until the answer', async () => {
    const stdout = await runAlone(`
      const checkpointer = new Checkpointer({ file: ${JSON.stringify(path.join(t.dataDir, SQLITE_FILE))}, onError: console.error, onLost() {} });
      console.log('caught up:', await checkpointer.catchUp());
      await checkpointer.stop();`);
    // Answered either way (the test's own connection may keep the WAL from being copied in full); an
    // unheld wait would end the process first, with exit code 13 and nothing printed.
    expect(stdout).toMatch(/^caught up: (true|false)$/);
  });

  it('keeps a process that stops its checkpoint thread while a catch-up is answered running until the thread ended', async () => {
    // A database of its own, which no other connection holds open, as a command's is when it closes.
    const file = path.join(t.dataDir, 'alone.db');
    const alone = new SQLite(file);
    alone.pragma('journal_mode = WAL');
    alone.exec('create table notes (body text)');
    alone.close();
    const stdout = await runAlone(`
      const checkpointer = new Checkpointer({ file: ${JSON.stringify(file)}, onError: console.error, onLost() {} });
      const caughtUp = checkpointer.catchUp();
      await checkpointer.stop();
      console.log('stopped, caught up:', await caughtUp);`);
    // The answer to the catch-up came before the thread ended: had it let the process go, the process
    // would have ended with exit code 13 before the stop, printing nothing.
    expect(stdout).toBe('stopped, caught up: true');
  });
});
