import type { Kysely, Transaction } from 'kysely';
import type { Schema } from './schema.js';

/** The most items one shared transaction carries. */
const MAX_BATCH = 256;
/**
 * The most batches work alone lets through in one turn (Turns.giveWay): the items that arrive while
 * one commits go in the next, but a steady stream of them cannot keep the work from going on.
 */
const MAX_BATCHES_PER_TURN = 4;

interface Pending<Item, Result> {
  item: Item;
  resolve: (value: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * What work run alone (runAlone) may do to let the items queued after it go first: between two of
 * its transactions, it gives way to them when some wait.
 */
export interface Turns {
  /**
   * Whether items wait, so that the work should end its transaction and give way. Lets the event loop
   * turn first, so that the requests that arrived meanwhile are queued by then.
   */
  waiting(): Promise<boolean>;
  /**
   * Commits the items waiting in batches, those that arrive meanwhile too, up to MAX_BATCHES_PER_TURN
   * batches (the work gives way again after its next step for any more). Only while the work has no
   * transaction open.
   */
  giveWay(): Promise<void>;
}

/** Work of its own (runAlone), in the queue between the items. */
interface Alone {
  work: (turns: Turns) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A batch's work threw, before its commit: the transaction was rolled back. */
class BatchWorkFailed extends Error {
  constructor(readonly error: unknown) {
    super('A batch of a group commit failed', { cause: error });
  }
}

/**
 * Group commit: items that arrive while one batch commits are gathered, run together by `runBatch` in
 * one transaction, and share one commit (one fsync). On SQLite every write transaction holds the one
 * connection and waits for its own fsync; on PostgreSQL every message would otherwise pay its own
 * round trips for BEGIN and COMMIT and wait for its own flush.
 *
 * When the batch's work throws, its transaction is rolled back and each of its items runs again in a
 * transaction of its own, so that a failing item fails alone and the others still commit; the common
 * case pays for no savepoints. Nobody hears of success before the commit, and a failed commit fails
 * every item of the batch, so an answer still means "on disk".
 */
export class GroupCommit<Item, Result> {
  private readonly queue: (Pending<Item, Result> | Alone)[] = [];
  private running = false;
  /** Until every item queued so far has its answer. */
  private draining: Promise<void> | undefined;
  /** The batch in its transaction now, if one is. */
  private batch: Promise<void> | undefined;

  /**
   * `runBatch` answers one result per item, in their order. `beforeBatch` runs between two batches,
   * while no item of this group is in a transaction (a hold of the writer thread); items that arrive
   * meanwhile join the next batch. Work alone counts as one batch with the items it lets through.
   */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly runBatch: (trx: Transaction<Schema>, items: readonly Item[]) => Promise<readonly Result[]>,
    private readonly beforeBatch?: () => Promise<unknown> | undefined,
  ) {}

  /** Runs `item` in a write transaction, perhaps shared; resolves with its result after the commit. */
  run(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) this.draining = this.drain();
    });
  }

  /**
   * Runs `work`, which opens a transaction of its own, in turn with the batches: after the items queued
   * before it and before those queued after it, never beside a batch, and after `beforeBatch` as a
   * batch is. For a large write that must not interleave with the group's (an erasure batch). The work
   * may split itself into several transactions and let the items waiting commit between two of them
   * (Turns), so that they do not wait for all of it: those queued after it, and also those queued
   * after other work alone that waits its turn (works keep their order among themselves).
   */
  runAlone<T>(work: (turns: Turns) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) this.draining = this.drain();
    });
  }

  /** Resolves when no batch is in a transaction: at once, or when the one running has committed. */
  async betweenBatches(): Promise<void> {
    await this.batch;
  }

  /** Resolves when every item queued so far has been answered. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        await this.beforeBatch?.();
        this.batch = this.next();
        await this.batch;
        this.batch = undefined;
        // Let sockets be read before the next batch: what arrived meanwhile joins it.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
      this.draining = undefined;
    }
  }

  /** Runs the head of the queue: the work alone there, or the items up to the next such work. */
  private async next(): Promise<void> {
    const head = this.queue[0];
    if (head !== undefined && 'work' in head) {
      this.queue.shift();
      await head.work(this.turns).then(head.resolve, head.reject);
      return;
    }
    await this.commitItems();
  }

  /** Commits the items at the head of the queue, up to the next work alone: one batch. */
  private async commitItems(): Promise<void> {
    const alone = this.queue.findIndex((entry) => 'work' in entry);
    const count = Math.min(MAX_BATCH, alone === -1 ? this.queue.length : alone);
    await this.commitBatch(this.queue.splice(0, count) as Pending<Item, Result>[]);
  }

  /**
   * For the work alone: the items still queued all came after it. A bounded number of batches a call,
   * so that a steady stream of items cannot keep the work from going on. `beforeBatch` does not run
   * for them: a hold waits for the whole work (betweenBatches), so none can be granted meanwhile, and
   * waiting for one here would wait for the work itself.
   */
  private readonly turns: Turns = {
    waiting: async () => {
      // Twice: run from a callback of the poll phase (a request's), the first turn ends in the same
      // loop's check phase, before the requests that arrived meanwhile are read; the second comes
      // after the next poll phase, which reads them.
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      return this.queue.some((entry) => !('work' in entry));
    },
    giveWay: async () => {
      for (let batch = 0; batch < MAX_BATCHES_PER_TURN; batch++) {
        const items: Pending<Item, Result>[] = [];
        for (let index = 0; index < this.queue.length && items.length < MAX_BATCH;) {
          const entry = this.queue[index] as Pending<Item, Result> | Alone;
          if ('work' in entry) index += 1;
          else items.push(...(this.queue.splice(index, 1) as Pending<Item, Result>[]));
        }
        if (items.length === 0) return;
        // Those that arrive during this commit go next, within the turn's bound.
        await this.commitBatch(items);
      }
    },
  };

  private async commitBatch(batch: Pending<Item, Result>[]): Promise<void> {
    let results: readonly Result[];
    try {
      results = await this.inTransaction(batch.map((pending) => pending.item));
    } catch (failure) {
      if (failure instanceof BatchWorkFailed && batch.length > 1) {
        // Which item failed is unknown: each runs again alone, and only the failing one fails.
        for (const pending of batch) await this.commitBatch([pending]);
        return;
      }
      const error = failure instanceof BatchWorkFailed ? failure.error : failure;
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => pending.resolve(results[index] as Result));
  }

  private async inTransaction(items: readonly Item[]): Promise<readonly Result[]> {
    const trx = await this.db.startTransaction().execute();
    let results: readonly Result[];
    try {
      results = await this.runBatch(trx, items);
      if (results.length !== items.length) {
        throw new Error(`A batch of ${items.length} answered ${results.length} results`);
      }
    } catch (error) {
      await trx.rollback().execute();
      throw new BatchWorkFailed(error);
    }
    try {
      await trx.commit().execute();
    } catch (error) {
      // A COMMIT that failed leaves its transaction open; one that went through before its flush
      // failed leaves none to roll back. Either way the commit's error is the answer.
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      throw error;
    }
    return results;
  }
}
