/**
 * How long one erasure transaction should hold the database, in milliseconds, where a batch is one
 * transaction: on PostgreSQL, and on SQLite without the writer thread (the CLI), where it holds the
 * write lock that the server's threads then wait for. The batch size follows the measured cost
 * (BatchSizer).
 */
export const TARGET_TRANSACTION_MS = 20;

/**
 * How long one erasure batch should work, in milliseconds, where batches take turns with the
 * messages (the server's SQLite, eraseConversationBatch): a message waits for one step of a few
 * milliseconds, not for the batch, so the size only sets how often the job comes back to the main
 * thread for the next batch (about 5 ms each time). Measured in the bulk-delete bench (SQLite, 200
 * chats going on): 40 ms, 22,500–27,100 messages/s for 1,000,000 with a chat p99 1.7–2.4 times the
 * one without a delete; for 300,000, 20 ms 20,000–34,000/s at 1.7–2.5 times, 50 ms with up to 5,000 messages a
 * batch 31,600/s at 1.2. Before the batches took turns, 20 ms transactions erased 51,000/s at 3.3–3.6
 * times.
 */
export const TARGET_BATCH_MS_WITH_TURNS = 40;

/** Messages an erasure batch deletes at most. */
export const MAX_MESSAGES_PER_BATCH = 2000;
/** Messages the first batch takes, before the cost of one is known. */
const FIRST_MESSAGES_PER_BATCH = 500;
/** Messages a batch may always take, however slow the last one was: progress never stalls. */
const MIN_MESSAGES_PER_BATCH = 50;

/** Conversations one erasure transaction takes at most, however few messages they hold. */
export const MAX_CONVERSATIONS_PER_BATCH = 200;

/** A conversation to erase with an upper bound of its messages: its last seq. */
export interface SizedConversation {
  id: string;
  lastSeq: number;
}

/**
 * Splits conversations, in their order, into batches of at most `maxMessages` messages and
 * MAX_CONVERSATIONS_PER_BATCH conversations each. A conversation above the message bound is a batch of
 * its own: it is erased in one transaction, never left half erased.
 */
export function splitIntoBatches<T extends SizedConversation>(
  conversations: readonly T[],
  maxMessages = MAX_MESSAGES_PER_BATCH,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let messages = 0;
  for (const conversation of conversations) {
    const size = Math.max(0, conversation.lastSeq);
    const full = batch.length >= MAX_CONVERSATIONS_PER_BATCH || messages + size > maxMessages;
    if (batch.length > 0 && full) {
      batches.push(batch);
      batch = [];
      messages = 0;
    }
    batch.push(conversation);
    messages += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Chooses how many messages the next erasure batch takes, so that it lasts about its target
 * (TARGET_TRANSACTION_MS, or TARGET_BATCH_MS_WITH_TURNS): it measures each one and moves halfway
 * toward the size that would have met the target, between MIN_MESSAGES_PER_BATCH and
 * MAX_MESSAGES_PER_BATCH.
 */
export class BatchSizer {
  private budget = FIRST_MESSAGES_PER_BATCH;
  private readonly targetMs: number;

  /** For batches of `database.eraseBatch`: whether they take turns sets the target. */
  constructor(database: { erasureTakesTurns: boolean }) {
    this.targetMs = database.erasureTakesTurns ? TARGET_BATCH_MS_WITH_TURNS : TARGET_TRANSACTION_MS;
  }

  /** The message bound of the next batch. */
  get maxMessages(): number {
    return this.budget;
  }

  /** Learns from a committed batch: how many messages it erased and how long its transaction took. */
  record(batch: { messages: number; transactionMs: number }): void {
    // A small batch (the last one, or a run of empty conversations) tells little about the rate, unless
    // it was slow all the same.
    if (batch.messages < this.budget / 4 && batch.transactionMs <= this.targetMs) return;
    const msPerMessage = Math.max(batch.transactionMs, 0.1) / Math.max(batch.messages, 1);
    const fitting = this.targetMs / msPerMessage;
    const next = Math.round((this.budget + fitting) / 2);
    this.budget = Math.min(MAX_MESSAGES_PER_BATCH, Math.max(MIN_MESSAGES_PER_BATCH, next));
  }
}
