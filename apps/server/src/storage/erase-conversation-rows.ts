import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { insertAuditEntry, type AuditEntry } from './audit-repository.js';
import {
  deleteContactsLeftWithNothing,
  deleteConversationContent,
  deleteConversationRows,
  deleteVisitorsLeftWithNothing,
  destroySubjectKeys,
  insertErasureRecords,
  lockConversationsForErasure,
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
  input: { accountId: string; conversationIds: readonly string[]; contactId?: string },
): Promise<ErasedContent> {
  const { accountId } = input;
  const conversationIds = await lockConversationsForErasure(db, {
    accountId,
    conversationIds: input.conversationIds,
    ...(input.contactId === undefined ? {} : { contactId: input.contactId }),
  });
  if (conversationIds.length === 0) return { conversationIds, messages: 0, attachments: 0 };
  return { conversationIds, ...(await deleteConversationContent(db, { accountId, conversationIds })) };
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
 * Runs an erasure batch on `db`: eraseConversationRows and the batch's audit entry, with the job's
 * progress (ErasureProgress). Without `turns`, in one transaction. With them, step by step (a few
 * conversations each, ERASURE_STEP_MS): when messages wait after a step, the transaction commits what
 * it erased, with its own audit entry and progress, and the batch goes on in another once they have
 * committed. Each conversation is erased in one transaction, never half. The batch ends early, with
 * what it erased, after a transaction that saw the job cancelled or taken over, when the main thread
 * waits to write (`turns.ending`), and when a transaction fails after others of the batch committed;
 * `processed` says how far it went, and the caller sends the rest again. The time it answers is that
 * of its transactions, from BEGIN to the end of each commit: how long the batch held the database's
 * write lock, on SQLite.
 */
export async function eraseConversationBatch(
  db: Kysely<Schema>,
  batch: ErasureBatch,
  turns?: ErasureTurns,
): Promise<ErasedBatch> {
  const erased: ErasedBatch = { ...noRows(), transactionMs: 0, processed: 0 };
  const steps = new StepSizer(turns === undefined ? batch.conversationIds.length : 1);
  let rest = batch.conversationIds;
  let progress = batch.progress;
  do {
    const startedAt = performance.now();
    const inTransaction = () =>
      db.transaction().execute(async (trx) => {
        // The steps delete the conversations' content, the heavy part; their rows and keys go after
        // the last step, together.
        const content: ErasedContent = { conversationIds: [], messages: 0, attachments: 0 };
        let done = 0;
        do {
          const stepStartedAt = performance.now();
          const step = await eraseConversationContent(trx, {
            accountId: batch.accountId,
            conversationIds: rest.slice(done, done + steps.size),
            ...(batch.contactId === undefined ? {} : { contactId: batch.contactId }),
          });
          content.conversationIds.push(...step.conversationIds);
          content.messages += step.messages;
          content.attachments += step.attachments;
          done = Math.min(rest.length, done + steps.size);
          steps.record(performance.now() - stepStartedAt);
        } while (done < rest.length && !turns?.ending() && !(await turns?.waiting()));
        const rows = await eraseConversationShells(trx, {
          accountId: batch.accountId,
          reason: batch.reason,
          now: batch.now,
          content,
        });
        if (batch.audit !== null && rows.conversationIds.length > 0) {
          await insertAuditEntry(trx, {
            accountId: batch.accountId,
            ...batch.audit,
            targetKind: 'conversation',
            targetIds: [...rows.conversationIds, ...rows.contactIds],
            count: rows.messages,
            at: batch.now,
          });
        }
        return { rows, done, saved: progress && (await saveErasureProgress(trx, progress, rows)) };
      });
    let transaction: Awaited<ReturnType<typeof inTransaction>>;
    try {
      transaction = await (turns ? turns.unflushed(inTransaction) : inTransaction());
    } catch (error) {
      // After transactions of the batch committed: they answer, so that the caller forgets their keys
      // and removes their files. The caller finds the rest again, and meets the error then.
      if (erased.conversationIds.length > 0) break;
      throw error;
    }
    const { rows, done, saved } = transaction;
    addRows(erased, rows);
    erased.transactionMs += performance.now() - startedAt;
    erased.processed += done;
    rest = rest.slice(done);
    if (saved !== undefined && progress !== undefined) {
      erased.progress = saved;
      progress = { ...progress, cursor: saved.cursor };
      // Taken over by another node, or cancelled: the rest is not this run's to erase.
      if (!saved.held || saved.cancelRequested) break;
    }
    if (turns?.ending()) break;
    if (rest.length > 0) await turns?.giveWay();
  } while (rest.length > 0);
  return erased;
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
 * How many conversations the next step of a batch takes, so that a step lasts about ERASURE_STEP_MS:
 * twice as many after a step of less than half of it, half as many after one of more than twice it.
 */
class StepSizer {
  constructor(public size: number) {}

  record(ms: number): void {
    if (ms < ERASURE_STEP_MS / 2) this.size *= 2;
    else if (ms > ERASURE_STEP_MS * 2) this.size = Math.max(1, Math.floor(this.size / 2));
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
