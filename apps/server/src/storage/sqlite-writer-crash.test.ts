import { randomBytes, randomUUID } from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import type { MessageToAppend } from './append-message.js';
import { insertConversation } from './conversations-repository.js';
import { openDatabase, type Database } from './database.js';
import { timeOrderedId } from './time-ordered-id.js';
import { insertWidget } from './widgets-repository.js';

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

describe.skipIf(testDialect !== 'sqlite')('the SQLite writer thread, when it ends unexpectedly', () => {
  let t: TestContext;
  let database: Database;
  let accountId: string;
  let operatorId: string;
  let conversationId: string;
  const errors: string[] = [];

  beforeEach(async () => {
    t = await createTestContext();
    ({ accountId, operatorId } = await seedOwnerAccount(t.ctx, 'crash'));
    const widget = await insertWidget(t.ctx.database.db, { accountId, name: 'Website', now: t.clock.now() });
    conversationId = await insertConversation(t.ctx.store, {
      accountId,
      widgetId: widget.id,
      visitorId: null,
      now: t.clock.now(),
    });
    await t.ctx.database.close();
    threads.length = 0;
    database = openDatabase({
      databaseUrl: undefined,
      dataDir: t.dataDir,
      writerThread: { onError: (message) => errors.push(message) },
    });
  });
  afterEach(async () => {
    await database.close();
    await t.cleanup();
  });

  const note = (): MessageToAppend => ({
    accountId,
    conversationId,
    clientMessageId: randomUUID(),
    author: { kind: 'operator', operatorId },
    kind: 'note',
    messageId: timeOrderedId(t.clock.now()),
    body: 'a note',
    key: { id: randomUUID(), key: randomBytes(32) },
    now: t.clock.now(),
  });

  it('fails the messages it had, and stores the next ones on a new thread', async () => {
    // The first message starts the writer thread (the checkpoint thread started with the database).
    expect((await database.appendMessage(note())).status).toBe('stored');
    const writer = threads.at(-1);
    if (!writer) throw new Error('no writer thread was started');
    const lost = Array.from({ length: 20 }, () => database.appendMessage(note()));
    // Ended once the messages were posted to it, before it could answer all of them.
    await new Promise((resolve) => setImmediate(resolve));
    await writer.terminate();
    const outcomes = await Promise.allSettled(lost);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/writer thread ended before it answered/);
    // A new thread takes the next message, and the seq goes on after what the old one committed.
    const stored = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    const next = await database.appendMessage(note());
    expect(next).toMatchObject({ status: 'stored', seq: 2 + stored });
    expect(threads.at(-1)).not.toBe(writer);
  });
});
