import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { insertAuditEntry, type AuditEntry } from './audit-repository.js';
import {
  deleteContactsLeftWithNothing,
  deleteConversationContent,
  deleteConversationRows,
  deleteConversationWords,
  deleteVisitorsLeftWithNothing,
  destroySubjectKeys,
  insertErasureRecords,
  lockConversationsForErasure,
  restoreConversationWords,
} from './erasure-repository.js';
import { saveProgress, type JobHold } from './jobs-repository.js';
import type { Turns } from './group-commit.js';
import type { Executor, Schema } from './schema.js';

/** What one erasure transaction removed, counted, with the key ids the keyring's cache must forget. */
export interface ErasedRows {
  /** The conversations erased: those of the batch that still existed in the account. */
  conversationIds: string[];
  messages: number;
  attachments: number;
  /** The contacts erased along: no conversation referenced them any more. */
  contactIds: string[];
  visitors: number;
  keyIds: string[];
}

/**
 * Erases a set of conversations of one account inside the caller's transaction (DESIGN §3: erasure
 * is key destruction plus deletion): their attachments, messages with their search tokens, and rows
 * go, their keys are destroyed, and so are the contacts (rows and keys) and visitors that no
 * conversation references any more. Every erased conversation and contact gets an erasure record.
 * The rollups are not touched: they hold no personal data and outlive the transcripts (P6).
 *
 * The caller writes its audit entry in the same transaction and, after the commit, makes the keyring
 * forget `keyIds` and removes the files (erasure/after-erasure). `contactId` erases only the
 * conversations still linked to that contact; `keepVisitorId` keeps that visitor's row (the visitor
 * who asked: their window is open). Ids unknown in the account, or erased meanwhile, are skipped.
 */
export async function eraseConversationRows(
  db: Executor,
  input: {
    accountId: string;
    conversationIds: readonly string[];
    reason: string;
    now: number;
    contactId?: string;
    keepVisitorId?: string;
  },
): Promise<ErasedRows> {
  return eraseConversationShells(db, { ...input, content: await eraseConversationContent(db, input) });
}

/** The first part of eraseConversationRows, which a batch may run in several steps: what it erased. */
interface ErasedContent {
  /** The conversations locked, whose content is gone: those that exist in the account (and are the contact's). */
  conversationIds: string[];
  messages: number;
  attachments: number;
}

/**
 * The first part of eraseConversationRows: locks the conversations (those that exist in the account,
 * and are still the contact's with `contactId`) and deletes their attachments, messages and search
 * words. eraseConversationShells erases the rest, in the same transaction.
 */
async function eraseConversationContent(
  db: Executor,
  input: { accountId: string; conversationIds: readonly string[]; contactId?: string; wordsDeleted?: boolean },
): Promise<ErasedContent> {
  const { accountId } = input;
  const conversationIds = await lockConversationsForErasure(db, {
    accountId,
    conversationIds: input.conversationIds,
    ...(input.contactId === undefined ? {} : { contactId: input.contactId }),
  });
  if (conversationIds.length === 0) return { conversationIds, messages: 0, attachments: 0 };
  const wordsDeleted = input.wordsDeleted === true;
  return { conversationIds, ...(await deleteConversationContent(db, { accountId, conversationIds, wordsDeleted })) };
}

/**
 * The second part of eraseConversationRows, for the conversations whose content is gone: their rows
 * and keys, the contacts and visitors left with nothing, the erasure records.
 */
async function eraseConversationShells(
  db: Executor,
  input: { accountId: string; reason: string; now: number; keepVisitorId?: string; content: ErasedContent },
): Promise<ErasedRows> {
  const { accountId, reason, now, content } = input;
  const { conversationIds } = content;
  if (conversationIds.length === 0) {
    return { conversationIds, messages: 0, attachments: 0, contactIds: [], visitors: 0, keyIds: [] };
  }
  const deleted = await deleteConversationRows(db, { accountId, conversationIds, contentDeleted: content });
  const keyIds = await destroySubjectKeys(db, { accountId, kind: 'conversation', subjectIds: conversationIds, now });
  const contactIds = await deleteContactsLeftWithNothing(db, { accountId, contactIds: deleted.contactIds });
  keyIds.push(...(await destroySubjectKeys(db, { accountId, kind: 'contact', subjectIds: contactIds, now })));
  const visitors = await deleteVisitorsLeftWithNothing(db, {
    accountId,
    visitorIds: deleted.visitorIds,
    ...(input.keepVisitorId === undefined ? {} : { keepVisitorId: input.keepVisitorId }),
  });
  await insertErasureRecords(db, {
    accountId,
    subjectKind: 'conversation',
    subjectIds: conversationIds,
    reason,
    at: now,
  });
  await insertErasureRecords(db, { accountId, subjectKind: 'contact', subjectIds: contactIds, reason, at: now });
  return {
    conversationIds,
    messages: deleted.messages,
    attachments: deleted.attachments,
    contactIds,
    visitors,
    keyIds,
  };
}

/** What a job's erasure batches removed, summed. */
export interface ErasureTotals {
  conversations: number;
  messages: number;
  attachments: number;
  contacts: number;
}

/** A job's position, as its cursor: its own fields, and the totals of its batches so far. */
export type ErasureCursor = { totals: ErasureTotals } & Record<string, unknown>;

/**
 * A job's progress, saved in the transaction of its batch (saveProgress), so that its position and
 * totals always match what has been erased, whenever it is killed: `cursor` is its position after the
 * batch, with the totals before it, to which the batch adds its counts; `done` counts conversations.
 */
export interface ErasureProgress {
  job: JobHold;
  total: number | null;
  cursor: ErasureCursor;
}

/**
 * One batch of a bulk erasure (a bulk delete, the retention sweep, a contact's erasure): plain data,
 * so that it can be posted to the SQLite writer thread. `audit`, unless null, is the entry that names
 * the batch's ids and counts its messages; `progress`, the job progress the batch saves.
 */
export interface ErasureBatch {
  accountId: string;
  conversationIds: readonly string[];
  reason: string;
  now: number;
  contactId?: string;
  audit: Pick<AuditEntry, 'action' | 'actorKind' | 'actorId'> | null;
  progress?: ErasureProgress;
}

/**
 * What an erasure batch removed (ErasedRows), how long its transaction took, in milliseconds, and the
 * progress it saved: the cursor with its totals, and whether the job is still held and not cancelled.
 */
export interface ErasedBatch extends ErasedRows {
  transactionMs: number;
  /**
   * How many of the batch's ids, from the first, it went through (erased, or skipped as unknown): all
   * of them unless it ended early (eraseConversationBatch).
   */
  processed: number;
  progress?: { cursor: ErasureCursor; held: boolean; cancelRequested: boolean };
}

/**
 * How an erasure batch takes turns with the messages on the SQLite writer thread (GroupCommit's Turns):
 * it gives way to them between its transactions, and commits without waiting for its flush, which
 * the next message's commit, or the flush at the batch's end, does for it.
 */
export interface ErasureTurns extends Turns {
  unflushed<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Whether the batch should end with its current transaction, the rest left to the next batch: the
   * main thread waits to write on its own connection, which it may only between two batches.
   */
  ending(): boolean;
}

/**
 * How long one step of an erasure batch that takes turns should last, in milliseconds: a message that
 * arrives waits for the step under way, then for the commit of the steps before it.
 */
export const ERASURE_STEP_MS = 2;

/**
 * How long a step that deletes a batch's search index words should last, in milliseconds: longer
 * than ERASURE_STEP_MS, as each transaction that deletes words rewrites a page for each word its
 * conversations share, however few they are (eraseConversationBatch).
 */
export const WORD_STEP_MS = 8;

/**
 * Runs an erasure batch on `db`: eraseConversationRows and the batch's audit entry, with the job's
 * progress (ErasureProgress). Without `turns`, in one transaction. With them, step by step
 * (ERASURE_STEP_MS each): when messages wait after a step, the transaction commits, and the batch
 * goes on in another once they have committed.
 *
 * The first steps delete the search index words of all the batch's conversations, before any of
 * them is erased: a transaction that deletes words rewrites a page of the index for each word its
 * conversations share (every common word of a language), however few conversations it takes, so the
 * words go in as few transactions as the messages allow, not in each that erases a conversation.
 * Then each step erases a few conversations' content, and each transaction that erased some erases
 * their rows and keys too, with its own audit entry and progress: each conversation is erased in one
 * transaction, never half. While the main thread waits to write, no words go ahead: the batch erases
 * one step's conversations, whose words go with their rows, and ends.
 *
 * The batch ends early, with what it erased, after a transaction that saw the job cancelled or taken
 * over, when the main thread waits to write (`turns.ending`), and when a transaction fails after
 * others of the batch committed; it gives the words of the conversations it leaves back
 * (restoreConversationWords), and `processed` says how far it went, for the caller to send the rest
 * again. The time it answers is that of its transactions, from BEGIN to the end of each commit: how
 * long the batch held the database's write lock, on SQLite.
 */
export async function eraseConversationBatch(
  db: Kysely<Schema>,
  batch: ErasureBatch,
  turns?: ErasureTurns,
): Promise<ErasedBatch> {
  const erased: ErasedBatch = { ...noRows(), transactionMs: 0, processed: 0 };
  const { accountId, contactId } = batch;
  const ofContact = contactId === undefined ? {} : { contactId };
  const contentSteps = new StepSizer(turns === undefined ? batch.conversationIds.length : 1, ERASURE_STEP_MS);
  // All of a batch's words at once unless that proves slow.
  const wordSteps = new StepSizer(batch.conversationIds.length, WORD_STEP_MS);
  let rest = batch.conversationIds;
  // With turns: how many of `rest`, from the first, have no words any more (committed).
  let wordless = 0;
  let progress = batch.progress;
  do {
    const startedAt = performance.now();
    const inTransaction = () =>
      db.transaction().execute(async (trx) => {
        // The steps delete the words, then the conversations' content, the heavy part; their rows and
        // keys go after the last step, together.
        const content: ErasedContent = { conversationIds: [], messages: 0, attachments: 0 };
        let words = wordless;
        let done = 0;
        let stepping = true;
        while (stepping) {
          const stepStartedAt = performance.now();
          // Words first, unless the main thread waits to write: then the batch erases one step's
          // conversations and ends, their words going with their rows (a foreign key with cascade).
          if (turns !== undefined && words < rest.length && !turns.ending()) {
            const size = wordSteps.size;
            await deleteConversationWords(trx, {
              accountId,
              conversationIds: rest.slice(words, words + size),
              ...ofContact,
            });
            words = Math.min(rest.length, words + size);
            wordSteps.record(performance.now() - stepStartedAt);
          } else {
            const size = contentSteps.size;
            const step = await eraseConversationContent(trx, {
              accountId,
              conversationIds: rest.slice(done, done + size),
              ...ofContact,
              wordsDeleted: turns !== undefined,
            });
            content.conversationIds.push(...step.conversationIds);
            content.messages += step.messages;
            content.attachments += step.attachments;
            done = Math.min(rest.length, done + size);
            contentSteps.record(performance.now() - stepStartedAt);
          }
          stepping = done < rest.length && !(done > 0 && turns?.ending()) && !(await turns?.waiting());
        }
        const rows = await eraseConversationShells(trx, { accountId, reason: batch.reason, now: batch.now, content });
        if (batch.audit !== null && rows.conversationIds.length > 0) {
          await insertAuditEntry(trx, {
            accountId,
            ...batch.audit,
            targetKind: 'conversation',
            targetIds: [...rows.conversationIds, ...rows.contactIds],
            count: rows.messages,
            at: batch.now,
          });
        }
        // A transaction that only deleted words has nothing to save.
        const saved = progress && done > 0 ? await saveErasureProgress(trx, progress, rows) : undefined;
        // Taken over by another node, or cancelled: the rest is not this run's to erase. A batch asked
        // to end goes on until it has erased something, so that each batch moves the job on.
        const ends =
          (saved !== undefined && (!saved.held || saved.cancelRequested)) || (done > 0 && turns?.ending() === true);
        if (ends && words > done) {
          await restoreConversationWords(trx, { accountId, conversationIds: rest.slice(done, words) });
        }
        return { rows, done, words, saved, ends };
      });
    let transaction: Awaited<ReturnType<typeof inTransaction>>;
    try {
      transaction = await (turns ? turns.unflushed(inTransaction) : inTransaction());
    } catch (error) {
      // After transactions of the batch committed: the words they took go back; then those that
      // erased conversations answer, so that the caller forgets their keys and removes their files,
      // and finds the rest again, meeting the error then. When none had, the batch fails.
      const lost =
        turns !== undefined && wordless > 0
          ? await giveWordsBack(db, { accountId, conversationIds: rest.slice(0, wordless) }, turns)
          : undefined;
      if (erased.processed > 0) break;
      if (lost === undefined) throw error;
      throw new Error(
        `${messageOf(error)}; the search words of ${wordless} conversation(s) could not be given back either: ${messageOf(lost)}`,
        { cause: error },
      );
    }
    const { rows, done, words, saved, ends } = transaction;
    addRows(erased, rows);
    erased.transactionMs += performance.now() - startedAt;
    erased.processed += done;
    rest = rest.slice(done);
    wordless = Math.max(0, words - done);
    if (saved !== undefined && progress !== undefined) {
      erased.progress = saved;
      progress = { ...progress, cursor: saved.cursor };
    }
    if (ends) break;
    if (rest.length > 0) await turns?.giveWay();
  } while (rest.length > 0);
  return erased;
}

/**
 * After a failed transaction of a batch that takes turns: gives the words of the conversations it
 * leaves back (restoreConversationWords), in a transaction of their own; answers the error should
 * that fail too. Then the conversations stay without words until they are erased: by the caller,
 * which sends them again when the batch erased some, or by the job's next attempt, whose error names
 * them (eraseConversationBatch).
 */
async function giveWordsBack(
  db: Kysely<Schema>,
  where: { accountId: string; conversationIds: readonly string[] },
  turns: ErasureTurns,
): Promise<unknown> {
  try {
    await turns.unflushed(() => db.transaction().execute((trx) => restoreConversationWords(trx, where)));
    return undefined;
  } catch (error) {
    return error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Nothing erased: what ErasedRows start from when they are summed (addRows). */
export function noRows(): ErasedRows {
  return { conversationIds: [], messages: 0, attachments: 0, contactIds: [], visitors: 0, keyIds: [] };
}

/** Adds `rows` to `sum`. */
export function addRows(sum: ErasedRows, rows: ErasedRows): void {
  sum.conversationIds.push(...rows.conversationIds);
  sum.messages += rows.messages;
  sum.attachments += rows.attachments;
  sum.contactIds.push(...rows.contactIds);
  sum.visitors += rows.visitors;
  sum.keyIds.push(...rows.keyIds);
}

/**
 * How many conversations the next step of a batch takes, so that a step lasts about `targetMs`:
 * twice as many after a step of less than half of it, half as many after one of more than twice it.
 */
class StepSizer {
  constructor(
    public size: number,
    private readonly targetMs: number,
  ) {}

  record(ms: number): void {
    if (ms < this.targetMs / 2) this.size *= 2;
    else if (ms > this.targetMs * 2) this.size = Math.max(1, Math.floor(this.size / 2));
  }
}

/** Saves a job's progress after a batch (ErasureProgress): the batch's counts added to the cursor's totals. */
async function saveErasureProgress(
  db: Executor,
  progress: ErasureProgress,
  erased: ErasedRows,
): Promise<NonNullable<ErasedBatch['progress']>> {
  const { totals } = progress.cursor;
  const cursor: ErasureCursor = {
    ...progress.cursor,
    totals: {
      conversations: totals.conversations + erased.conversationIds.length,
      messages: totals.messages + erased.messages,
      attachments: totals.attachments + erased.attachments,
      contacts: totals.contacts + erased.contactIds.length,
    },
  };
  const saved = await saveProgress(db, {
    ...progress.job,
    done: cursor.totals.conversations,
    total: progress.total,
    cursor: JSON.stringify(cursor),
  });
  return { cursor, ...saved };
}
