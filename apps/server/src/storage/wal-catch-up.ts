import type { ErasedBatch, ErasureBatch } from './erase-conversation-rows.js';

/**
 * How many times a catch-up lets the checkpoint thread copy the WAL while messages are still being
 * written, the erasures paused, before every writer holds still for the rest.
 */
export const CATCH_UP_PASSES_WITHOUT_HOLD = 4;

/** What WalCatchUp needs of the writer thread (SqliteWriter). */
export interface CatchUpWriter {
  erase(batch: ErasureBatch): Promise<ErasedBatch>;
  /** Holds every writer of this process still until the answered release is called. */
  hold(): Promise<() => void>;
}

/** What WalCatchUp needs of the checkpoint thread (Checkpointer). */
export interface CatchUpCheckpointer {
  /** One checkpoint: whether it copied the WAL in full. */
  catchUp(): Promise<boolean>;
}

/**
 * Lets the WAL start over when the checkpoint thread cannot copy it in full beside a steady stream of
 * commits (Checkpointer.catchUp), pausing the erasures first, as they write the most: the batch under
 * way finishes, no other starts, and the checkpoint thread copies the WAL while only messages are
 * written, a few pages each. Then every writer of this process holds still (the writer thread
 * between two batches, the main thread's writes queued behind the hold) for the last pages, so that
 * the next write starts the WAL over. Holding every writer at once made the messages wait for all
 * the pages the erasures had written since the last copy: in the bulk-delete bench, a chat message
 * waited up to 320 ms at a catch-up.
 */
export class WalCatchUp {
  /** Erasure batches under way. */
  private readonly erasing = new Set<Promise<unknown>>();
  /** While a catch-up runs: what new erasure batches wait for. */
  private running: Promise<void> | undefined;

  constructor(
    private readonly writer: CatchUpWriter,
    private readonly checkpointer: CatchUpCheckpointer,
  ) {}

  /** Runs an erasure batch on the writer thread once no catch-up runs. */
  async erase(batch: ErasureBatch): Promise<ErasedBatch> {
    // A failed catch-up is its caller's to report; the batches go on.
    while (this.running) await this.running.catch(() => undefined);
    const erasing = this.writer.erase(batch);
    this.erasing.add(erasing);
    try {
      return await erasing;
    } finally {
      this.erasing.delete(erasing);
    }
  }

  /** Catches the WAL up (see the class); a call while one runs shares it. */
  catchUp(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    await Promise.allSettled([...this.erasing]);
    for (let pass = 0; pass < CATCH_UP_PASSES_WITHOUT_HOLD; pass++) {
      if (await this.checkpointer.catchUp()) break;
    }
    // Even a checkpoint that copied everything needs the hold: a commit under way when it ended
    // wrote past it, and SQLite starts the WAL over only at a write that finds it copied in full.
    const release = await this.writer.hold();
    try {
      await this.checkpointer.catchUp();
    } finally {
      release();
    }
  }
}
