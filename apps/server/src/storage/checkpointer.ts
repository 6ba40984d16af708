import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies committed pages from the WAL into the database file. */
export const CHECKPOINT_INTERVAL_MS = 100;

/**
 * Past this many frames (4 KiB pages, so 64 MiB) in the WAL, writes pause until it can start over
 * (catchUp): at 2,000 messages/s, every second or two, for a few milliseconds.
 */
export const WAL_RESTART_FRAMES = 16_384;

// Plain JavaScript, run as the worker's script: it works the same from the TypeScript sources (tsx)
// and from the build, where a separate worker file would need a path of its own in each.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 5000');
let running = true;
function checkpoint() {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)');
  return { frames: result.log, copied: result.checkpointed };
}
const timer = setInterval(() => {
  try {
    let pass = checkpoint();
    if (pass.frames <= workerData.restartFrames) return;
    // Before the writer pauses, get close to the WAL's end: each pass copies what was committed during
    // the one before, until that is little, so the pause only has the last few frames to copy.
    for (let passes = 0; passes < 8; passes++) {
      const copiedBefore = pass.copied;
      pass = checkpoint();
      if (pass.copied - copiedBefore < workerData.closeFrames) break;
    }
    parentPort.postMessage({ behind: true });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (!running) return;
  if (message === 'catch-up') {
    try {
      const { frames, copied } = checkpoint();
      parentPort.postMessage({ caughtUp: frames === copied });
    } catch (error) {
      parentPort.postMessage({ caughtUp: false, error: String(error && error.message ? error.message : error) });
    }
    return;
  }
  running = false;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a SQLite database in WAL mode from a thread of its own. SQLite otherwise checkpoints in
 * the commit that pushes the WAL past 1,000 pages: that commit then copies every page back into the
 * database file and waits for its fsync, on the thread that serves the sockets. The connection that
 * uses this turns automatic checkpoints off. A PASSIVE checkpoint takes no lock that writers wait for.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;
  private readonly waiting: ((caughtUp: boolean) => void)[] = [];
  private stopping = false;
  private ended = false;

  constructor(options: {
    file: string;
    onError: (message: string) => void;
    /** Called when the thread ended without being stopped: checkpoints are the connection's again. */
    onLost: () => void;
    /** Called when the WAL grew past WAL_RESTART_FRAMES: the writers should pause for a catchUp. */
    onBehind?: () => void;
    /** For tests: WAL_RESTART_FRAMES and CHECKPOINT_INTERVAL_MS otherwise. */
    restartFrames?: number;
    intervalMs?: number;
  }) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: options.file,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
        restartFrames: options.restartFrames ?? WAL_RESTART_FRAMES,
        closeFrames: 256,
      },
    });
    this.worker.on('message', (message: { error?: string; behind?: boolean; caughtUp?: boolean }) => {
      if (message.error) options.onError(message.error);
      if (message.behind) options.onBehind?.();
      if (message.caughtUp !== undefined) {
        this.waiting.shift()?.(message.caughtUp);
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
    if (this.ended) return false;
    const answer = new Promise<boolean>((resolve) => this.waiting.push(resolve));
    // Ref'd until it answers: the writers wait for it, and the wait alone keeps the process running.
    this.worker.ref();
    this.worker.postMessage('catch-up');
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
