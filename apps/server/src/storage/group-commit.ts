import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Schema } from './schema.js';

/** The most writes one shared transaction carries. */
const MAX_BATCH = 256;

interface Pending {
  work: (trx: Transaction<Schema>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite, where every write transaction holds the one connection and waits for its
 * own fsync: writes that arrive while one commits are gathered and run in one transaction, each in a
 * savepoint of its own, and share one commit (one fsync). A write that throws rolls back to its
 * savepoint and rejects alone; the others still commit. Nobody hears of success before the commit,
 * and a failed commit rejects every write of the batch, so an acknowledgement still means "on disk".
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  private running = false;
  /** Until every write queued so far has its answer. */
  private draining: Promise<void> | undefined;
  /** The batch in its transaction now, if one is. */
  private batch: Promise<void> | undefined;

  /**
   * `beforeBatch` runs between two batches, while no write of this group is in a transaction (the
   * checkpointer's catch-up); writes that arrive meanwhile join the next batch.
   */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly beforeBatch?: () => Promise<unknown> | undefined,
  ) {}

  /** Runs `work` in a write transaction, perhaps shared; resolves after the commit. */
  run<T>(work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Safe: each entry's resolve is only ever called with the value of its own work.
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) this.draining = this.drain();
    });
  }

  /** Resolves when no batch is in a transaction: at once, or when the one running has committed. */
  async betweenBatches(): Promise<void> {
    await this.batch;
  }

  /** Resolves when every write queued so far has been answered. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        await this.beforeBatch?.();
        this.batch = this.commitBatch(this.queue.splice(0, MAX_BATCH));
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

  private async commitBatch(batch: Pending[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      const trx = await this.db.startTransaction().execute();
      try {
        if (batch.length === 1 && batch[0]) {
          // Alone in its transaction, a write needs no savepoint: a failure rolls back the transaction.
          outcomes.push({ ok: true, value: await batch[0].work(trx) });
        } else {
          for (const pending of batch) outcomes.push(await runInSavepoint(trx, pending));
        }
        await trx.commit().execute();
      } catch (error) {
        await trx.rollback().execute();
        throw error;
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) pending.resolve(outcome.value);
      else pending.reject(outcome ? outcome.error : new Error('A write of a batch has no outcome'));
    });
  }
}

// Raw statements: Kysely's savepoint builder costs more than the statements themselves.
const savepoint = CompiledQuery.raw('savepoint write');
const release = CompiledQuery.raw('release write');
const rollbackTo = CompiledQuery.raw('rollback to write');

/** Runs one write of a batch in a savepoint of its own; a failure rolls back to it and is its outcome. */
async function runInSavepoint(
  trx: Transaction<Schema>,
  pending: Pending,
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  await trx.executeQuery(savepoint);
  try {
    const value = await pending.work(trx);
    await trx.executeQuery(release);
    return { ok: true, value };
  } catch (error) {
    await trx.executeQuery(rollbackTo);
    await trx.executeQuery(release);
    return { ok: false, error };
  }
}
