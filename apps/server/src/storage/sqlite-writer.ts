import type { Worker } from 'node:worker_threads';
import type { AppendOutcome, MessageToAppend } from './append-message.js';
import type { ErasedBatch, ErasureBatch } from './erase-conversation-rows.js';
import { startThread } from './start-thread.js';

/** What the writer thread is started with. */
export interface WriterSettings {
  file: string;
  /** The thread's connection's `wal_autocheckpoint`: 0 while a checkpoint thread copies the WAL. */
  autocheckpointPages: number;
}

/** From the main thread to the writer thread. */
export type WriterRequest =
  | { type: 'append'; messages: { id: number; message: MessageToAppend }[] }
  | { type: 'erase'; id: number; batch: ErasureBatch }
  | { type: 'hold'; id: number }
  | { type: 'release' }
  | { type: 'autocheckpoint'; pages: number }
  | { type: 'close' };

/** From the writer thread to the main thread. */
export type WriterReply = { type: 'answers'; answers: WriterAnswer[] } | { type: 'held'; id: number };

/** One request's answer: a message's outcome, an erasure's counts, or why it failed (the message of the error). */
export type WriterAnswer =
  { id: number; outcome: AppendOutcome } | { id: number; erased: ErasedBatch } | { id: number; failed: string };

interface Pending {
  resolve: (answer: AppendOutcome | ErasedBatch) => void;
  reject: (error: Error) => void;
}

/**
 * The SQLite writer thread, seen from the main thread. Messages, the one write of a chat that comes
 * by the thousand, are appended on a thread of their own with a connection of its own: their
 * statements and commits no longer take turns with the sockets on the main thread. So are the batches
 * of bulk erasures, the one long write: between two group commits of messages, never beside one. The
 * thread starts at the first request.
 *
 * SQLite has one writer at a time. When the main thread writes on its own connection (everything
 * other than messages), it first holds the writer thread between two batches (hold), so that neither
 * waits for the other's lock inside SQLite, where the wait would block its thread.
 */
export class SqliteWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Messages not yet posted: those of one turn of the event loop go to the thread in one post. */
  private outbox: { id: number; message: MessageToAppend }[] = [];
  private closing = false;
  /** The main thread's holds, one after another: the promise of the last one asked for. */
  private holdChain: Promise<void> = Promise.resolve();
  /** The hold waiting for the thread's answer, by the id its request carried. */
  private heldWaiter: { id: number; resolve: () => void } | undefined;
  /** Whether the main thread holds the writer thread now. */
  private holding = false;

  constructor(
    private settings: WriterSettings,
    private readonly events: { onError: (message: string) => void },
  ) {}

  /** Sets the thread's `wal_autocheckpoint`, now and for a thread started later. */
  setAutocheckpoint(pages: number): void {
    this.settings = { ...this.settings, autocheckpointPages: pages };
    this.worker?.postMessage({ type: 'autocheckpoint', pages } satisfies WriterRequest);
  }

  /** Appends a message on the writer thread (appendMessage); resolves after its commit. */
  append(message: MessageToAppend): Promise<AppendOutcome> {
    return this.request<AppendOutcome>((id) => {
      if (this.outbox.length === 0) setImmediate(() => this.post());
      this.outbox.push({ id, message: exactBytes(message) });
    });
  }

  /**
   * Runs an erasure batch on the writer thread (eraseConversationBatch) between two group commits,
   * taking turns with the messages; resolves after its commits, flushed. It may answer for part of the
   * batch (`processed`): it ends early when the main thread asks to hold the thread.
   */
  erase(batch: ErasureBatch): Promise<ErasedBatch> {
    return this.request<ErasedBatch>((id, worker) =>
      worker.postMessage({ type: 'erase', id, batch } satisfies WriterRequest),
    );
  }

  /** Registers a request that owes an answer under a new id, and sends it (`send`). */
  private request<T extends AppendOutcome | ErasedBatch>(send: (id: number, worker: Worker) => void): Promise<T> {
    if (this.closing) return Promise.reject(closingError());
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // Ref'd while it owes an answer: an idle thread alone does not keep the process running.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      send(id, worker);
    });
  }

  /** Posts the messages of the outbox, to the thread running now (a new one if the last has ended). */
  private post(): void {
    if (this.outbox.length === 0) return;
    // After a close no thread starts again: what a thread that ended left unsent fails.
    if (this.closing && !this.worker) return this.rejectOutbox(closingError());
    const messages = this.outbox;
    this.outbox = [];
    this.started().postMessage({ type: 'append', messages } satisfies WriterRequest);
  }

  /**
   * Holds the writer thread still between two batches; resolves, once it is, with the function that
   * lets it go on. Holds of the main thread follow one another. Without a thread started, at once:
   * there is nothing to hold.
   */
  async hold(): Promise<() => void> {
    const previous = this.holdChain;
    let done = () => {};
    this.holdChain = new Promise<void>((resolve) => (done = resolve));
    await previous;
    // A thread started while this hold lasts starts held (started()).
    this.holding = true;
    const worker = this.worker;
    if (worker) {
      // Ref'd until it answers: the wait alone keeps the process running.
      worker.ref();
      await new Promise<void>((resolve) => {
        const id = this.nextId++;
        this.heldWaiter = { id, resolve };
        worker.postMessage({ type: 'hold', id } satisfies WriterRequest);
      });
      if (this.pending.size === 0) worker.unref();
    }
    return () => {
      this.holding = false;
      // To the thread running now, which may have replaced the one held.
      this.worker?.postMessage({ type: 'release' } satisfies WriterRequest);
      done();
    };
  }

  /** Finishes the writes under way, closes the thread's connection and ends it. */
  async close(): Promise<void> {
    this.closing = true;
    // A hold under way ends first: the thread's close would otherwise let it go on under the holder.
    await this.holdChain;
    const worker = this.worker;
    if (!worker) {
      this.rejectOutbox(closingError());
      return;
    }
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    // Messages asked for before the close are still stored and answered.
    this.post();
    worker.postMessage({ type: 'close' } satisfies WriterRequest);
    await exited;
  }

  private rejectOutbox(error: Error): void {
    for (const { id } of this.outbox) {
      this.pending.get(id)?.reject(error);
      this.pending.delete(id);
    }
    this.outbox = [];
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(import.meta.url, 'sqlite-writer-thread', this.settings);
    // Nobody waits for this hold's answer: the hold it serves was granted without a thread.
    if (this.holding) worker.postMessage({ type: 'hold', id: this.nextId++ } satisfies WriterRequest);
    worker.on('message', (reply: WriterReply) => this.receive(reply));
    worker.on('error', (error) => this.events.onError(`Writer thread failed: ${error.message}`));
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      // What the thread had may or may not have committed: its senders hear of a failure (and resend,
      // which the client id makes safe). What it was not yet sent goes to the next thread.
      const error = new Error('The SQLite writer thread ended before it answered');
      const queued = new Set(this.outbox.map((entry) => entry.id));
      for (const [id, pending] of this.pending) {
        if (queued.has(id)) continue;
        pending.reject(error);
        this.pending.delete(id);
      }
      this.heldWaiter?.resolve();
      this.heldWaiter = undefined;
    });
    this.worker = worker;
    return worker;
  }

  private receive(reply: WriterReply): void {
    switch (reply.type) {
      case 'answers':
        for (const answer of reply.answers) {
          const pending = this.pending.get(answer.id);
          this.pending.delete(answer.id);
          if ('outcome' in answer) pending?.resolve(answer.outcome);
          else if ('erased' in answer) pending?.resolve(answer.erased);
          else pending?.reject(new Error(answer.failed));
        }
        if (this.pending.size === 0) this.worker?.unref();
        return;
      case 'held':
        // Only the answer to the hold that waits: a thread started held answers too, for no one.
        if (this.heldWaiter?.id !== reply.id) return;
        this.heldWaiter.resolve();
        this.heldWaiter = undefined;
        return;
    }
  }
}

const closingError = () => new Error('The database is closing');

/**
 * The message with its bytes in buffers of their own. Small Buffers share Node's 8 KiB pool, and a
 * post copies a view's whole underlying memory: a sealed body would take 8 KiB with it, and other
 * values' bytes.
 */
function exactBytes(message: MessageToAppend): MessageToAppend {
  return {
    ...message,
    bodySealed: new Uint8Array(message.bodySealed),
    ...(message.attachment
      ? { attachment: { ...message.attachment, file_name_sealed: new Uint8Array(message.attachment.file_name_sealed) } }
      : {}),
    ...(message.searchTokens ? { searchTokens: new Uint8Array(message.searchTokens) } : {}),
  };
}
