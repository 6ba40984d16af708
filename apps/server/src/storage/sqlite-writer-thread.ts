import { parentPort, workerData } from 'node:worker_threads';
import { Kysely } from 'kysely';
import { appendMessages, type AppendOutcome, type MessageToAppend } from './append-message.js';
import type { ErasureBatch, ErasureTurns } from './erase-conversation-rows.js';
import { GroupCommit } from './group-commit.js';
import { openSqliteFile } from './sqlite-file.js';
import { DurableSqliteDialect } from './sqlite-driver.js';
import type { Schema } from './schema.js';
import type { WriterAnswer, WriterReply, WriterRequest, WriterSettings } from './sqlite-writer.js';

// The SQLite writer thread (sqlite-writer.ts): its own connection to the database file, on which it
// appends messages in group commits and runs erasure batches between them, and holds still between
// two batches when the main thread asks.

const settings = workerData as WriterSettings;
const port = parentPort;
if (!port) throw new Error('sqlite-writer-thread runs as a worker thread');

const sqlite = openSqliteFile(settings.file);
const dialect = new DurableSqliteDialect(sqlite);
const db = new Kysely<Schema>({ dialect });
const reply = (message: WriterReply) => port.postMessage(message);

/**
 * Answers not yet posted: those of one batch go back in one post, once the microtasks that answer its
 * other items have run. Not at the next turn of the event loop: an erasure batch that let the messages
 * commit goes on at once with its next step, which would hold their answers back for its length.
 */
let answers: WriterAnswer[] = [];
function answer(value: WriterAnswer): void {
  if (answers.length === 0) {
    queueMicrotask(() => {
      reply({ type: 'answers', answers });
      answers = [];
    });
  }
  answers.push(value);
}

// The checkpoint thread copies the WAL back (the main thread starts it and asks for the catch-ups).
sqlite.pragma(`wal_autocheckpoint = ${settings.autocheckpointPages}`);

/** Held by the main thread while it writes on its own connection: no batch starts meanwhile. */
let held: { released: Promise<void>; release: () => void } | undefined;

// With nothing awaited after the wait: a hold that arrives later finds the batch started.
const groupCommit = new GroupCommit<MessageToAppend, AppendOutcome>(db, appendMessages, async () => {
  while (held) await held.released;
});

port.on('message', (request: WriterRequest) => {
  switch (request.type) {
    case 'append':
      for (const { id, message } of request.messages) {
        groupCommit.run(message).then(
          (outcome) => answer({ id, outcome: postable(outcome) }),
          (error: unknown) => answer({ id, failed: describe(error) }),
        );
      }
      return;
    case 'erase':
      groupCommit
        .runAlone((turns) =>
          eraseBatch(request.batch, {
            ...turns,
            unflushed: (work) => dialect.withoutFlush(work),
            // A hold waits for the whole batch (betweenBatches): the batch ends at its next commit.
            ending: () => held !== undefined,
          }),
        )
        // Answered once on disk, as every write is; the messages queued behind it need not wait for this flush.
        .then(async (erased) => {
          await dialect.flush();
          return erased;
        })
        .then(
          (erased) => answer({ id: request.id, erased }),
          (error: unknown) => answer({ id: request.id, failed: describe(error) }),
        );
      return;
    case 'hold': {
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      held = { released, release };
      void groupCommit.betweenBatches().then(() => reply({ type: 'held', id: request.id }));
      return;
    }
    case 'release':
      held?.release();
      held = undefined;
      return;
    case 'autocheckpoint':
      sqlite.pragma(`wal_autocheckpoint = ${request.pages}`);
      return;
    case 'close':
      void close();
      return;
  }
});

/**
 * Runs an erasure batch (eraseConversationBatch), taking turns with the messages. Its code is loaded
 * at the first batch: most threads never erase, and every message waits for the thread to start.
 */
async function eraseBatch(batch: ErasureBatch, turns: ErasureTurns) {
  const { eraseConversationBatch } = await import('./erase-conversation-rows.js');
  return eraseConversationBatch(db, batch, turns);
}

async function close(): Promise<void> {
  held?.release();
  held = undefined;
  await groupCommit.idle();
  await db.destroy();
  port?.close();
}

/**
 * The outcome with the sealed body of a duplicate in a buffer of its own: a post copies a view's whole
 * underlying memory, and small Buffers share an 8 KiB pool.
 */
function postable(outcome: AppendOutcome): AppendOutcome {
  if (outcome.status === 'duplicate') {
    return { ...outcome, stored: { ...outcome.stored, bodySealed: new Uint8Array(outcome.stored.bodySealed) } };
  }
  return outcome;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
