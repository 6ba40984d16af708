import type { Worker } from 'node:worker_threads';
import { startThread } from './start-thread.js';

/** How often the checkpointer copies committed pages from the WAL into the database file. */
export const CHECKPOINT_INTERVAL_MS = 100;

/**
 * Past this many frames (4 KiB pages, so 64 MiB) in the WAL, writes pause until it can start over
 * (catchUp): at 2,000 messages/s, every second or two, for a few milliseconds.
 */
export const WAL_RESTART_FRAMES = 16_384;

/** What the checkpoint thread (checkpointer-thread.ts) is started with. */
export interface CheckpointerSettings {
  file: string;
  intervalMs: number;
  restartFrames: number;
  /** A pass that copied fewer frames than this is close enough to the WAL's end for a catch-up. */
  closeFrames: number;
}

/**
 * Checkpoints a SQLite database in WAL mode from a thread of its own. SQLite otherwise checkpoints in
 * the commit that pushes the WAL past 1,000 pages: that commit then copies every page back into the
 * database file and waits for its fsync, on the thread that serves the sockets. The connection that
 * uses this turns automatic checkpoints off. A PASSIVE checkpoint takes no lock that writers wait for.
 * The thread flushes the database file at least once a second and after copies to the WAL's end, not
 * before every copy (PinnedCheckpoints).
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;
  /** Whoever asked the thread something, in order: it answers in that order. */
  private readonly waiting: ((answer: boolean) => void)[] = [];
  private stopping = false;
  private ended = false;

  constructor(options: {
    file: string;
    onError: (message: string) => void;
    /** Called when the thread ended without being stopped: checkpoints are the connection's again. */
    onLost: () => void;
    /** Called when the WAL grew past WAL_RESTART_FRAMES: the writers should pause for a catchUp. */
    onBehind?: () => void;
    /** Called once the thread has opened its connections and copies the WAL. */
    onStarted?: () => void;
    /** For tests: WAL_RESTART_FRAMES and CHECKPOINT_INTERVAL_MS otherwise. */
    restartFrames?: number;
    intervalMs?: number;
  }) {
    this.worker = startThread(import.meta.url, 'checkpointer-thread', {
      file: options.file,
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      restartFrames: options.restartFrames ?? WAL_RESTART_FRAMES,
      closeFrames: 256,
    } satisfies CheckpointerSettings);
    this.worker.on('message', (message: { error?: string; behind?: boolean; answer?: boolean; started?: true }) => {
      if (message.started) options.onStarted?.();
      if (message.error) options.onError(message.error);
      if (message.behind) options.onBehind?.();
      if (message.answer !== undefined) {
        this.waiting.shift()?.(message.answer);
        // Not while it stops: stop() holds it until it ended.
        if (this.waiting.length === 0 && !this.stopping) this.worker.unref();
      }
    });
    this.worker.on('error', (error) => options.onError(error.message));
    // Not events.once: that rejects on the 'error' a failing thread emits before it exits.
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve)).then(() => {
      this.ended = true;
      for (const resolve of this.waiting.splice(0)) resolve(false);
      if (!this.stopping) options.onLost();
    });
    // A checkpoint thread alone does not keep the process running.
    this.worker.unref();
  }

  /**
   * Copies every frame of the WAL into the database file, on the checkpoint thread; for a writer that
   * holds back its writes meanwhile, so that the copy is complete and the next write starts the WAL
   * over. SQLite restarts a WAL only at a write that finds it copied in full, which a checkpoint
   * running beside a steady stream of commits never does: the WAL would grow without end.
   */
  async catchUp(): Promise<boolean> {
    return this.ended ? false : this.ask('catch-up');
  }

  /**
   * Copies the WAL in full and empties its file (a TRUNCATE checkpoint), on the checkpoint thread, for
   * a caller that holds every writer still: the thread's pins would keep a TRUNCATE checkpoint of
   * another connection waiting. False when a reader kept it from going through; undefined when the
   * thread has ended, and the caller's connection must checkpoint itself.
   */
  async truncate(): Promise<boolean | undefined> {
    if (this.ended) return undefined;
    const answer = await this.ask('truncate');
    return this.ended && !answer ? undefined : answer;
  }

  private ask(request: 'catch-up' | 'truncate'): Promise<boolean> {
    const answer = new Promise<boolean>((resolve) => this.waiting.push(resolve));
    // Ref'd until it answers: the writers wait for it, and the wait alone keeps the process running.
    this.worker.ref();
    this.worker.postMessage(request);
    return answer;
  }

  /** Closes the thread's connection and waits for the thread to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Held by the thread until it ended: otherwise a process with nothing else to do exits meanwhile.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
