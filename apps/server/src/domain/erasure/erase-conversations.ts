import type { Context } from '../../context.js';
import {
  addRows,
  noRows,
  type ErasedBatch,
  type ErasureBatch,
  type ErasureProgress,
} from '../../storage/erase-conversation-rows.js';
import { listUnclosedConversations } from '../../storage/erasure-repository.js';
import { closeConversation, type Closer } from '../conversations/close-conversation.js';
import { AppError } from '../errors.js';
import { removeConversationFiles, scrubErasedPages, type FileRemovals } from './after-erasure.js';

/** What a batch erasure removed, counted. */
export interface ErasedConversations {
  /** The conversations erased, in the order asked for: those that still existed (and were still the contact's). */
  conversationIds: string[];
  conversations: number;
  messages: number;
  attachments: number;
  contacts: number;
  visitors: number;
  /** How long the batch's transactions took, in milliseconds: what it held the database for. */
  transactionMs: number;
  /** The job progress the batch saved, when asked to (`progress`). */
  progress?: ErasedBatch['progress'];
}

/** Who the audit entry of a batch names, and its action (`conversations.erased`, `conversations.expired`). */
export type ErasureAudit = NonNullable<ErasureBatch['audit']>;

/** How a conversation still waiting or open ends before its erasure: who closes it, and whether the reports count that. */
export interface ErasureEnd {
  by: Closer;
  counted: boolean;
}

/**
 * Erases a batch of conversations of one account (the database's eraseBatch: one transaction, or on
 * the server's SQLite a few that take turns with the chats, each erasing whole conversations), for
 * bulk deletes, the retention sweep and a contact's erasure. Those still waiting or open end first,
 * through closeConversation, so operators and the visitor see them end; by default as the system and
 * uncounted, so a bulk delete or a retention sweep leaves the rollups exactly as they were (P6): a
 * close the erasure caused is no event of the chat. `end` names another closer, or counts the close
 * (a contact's erasure closes as its admin, as any close). With `contactId`, only the conversations
 * still linked to that contact are ended and erased. One audit entry a transaction names its ids and
 * counts its messages; `audit: null` leaves it to a caller that writes one for all its batches.
 * `progress`, a job's, is saved in each transaction (ErasureProgress); the batch stops after the one
 * that finds the job cancelled or taken over. After the commits the keyring forgets the destroyed
 * keys and the files go (with `files`, a job's, while its next batch runs); `scrub: false` leaves
 * the WAL checkpoint (costly, on SQLite) to a caller that scrubs later. Keep a batch bounded
 * (BatchSizer): a transaction holds SQLite's write lock.
 */
export async function eraseConversations(
  ctx: Context,
  input: {
    accountId: string;
    conversationIds: readonly string[];
    /** The erasure records' reason, such as "bulk delete" or "retention". */
    reason: string;
    audit: ErasureAudit | null;
    contactId?: string;
    end?: ErasureEnd;
    scrub?: boolean;
    progress?: ErasureProgress;
    files?: FileRemovals;
    /**
     * Runs once, right after the batch is handed to the database and before its answer: on the
     * server's SQLite, on the main thread while the writer thread erases (a job reads its next batch).
     */
    whileErasing?: () => void;
  },
): Promise<ErasedConversations> {
  const { accountId, reason, audit } = input;
  if (input.conversationIds.length === 0) {
    return {
      conversationIds: [],
      conversations: 0,
      messages: 0,
      attachments: 0,
      contacts: 0,
      visitors: 0,
      transactionMs: 0,
    };
  }
  const ofContact = input.contactId === undefined ? {} : { contactId: input.contactId };
  const end = input.end ?? { by: { kind: 'system', accountId }, counted: false };
  const unclosed = await listUnclosedConversations(ctx.database.db, {
    accountId,
    conversationIds: input.conversationIds,
    ...ofContact,
  });
  for (const conversationId of unclosed) {
    try {
      await closeConversation(ctx, { by: end.by, conversationId, counted: end.counted });
    } catch (error) {
      // Erased meanwhile (by its visitor, say): the transaction below skips it.
      if (!(error instanceof AppError && error.code === 'not_found')) throw error;
    }
  }
  // The database may answer for part of the ids (on SQLite's writer thread, a batch ends early when
  // the main thread waits to write): the rest goes in another call, until every id was gone through
  // or the job was cancelled or taken over.
  const erased: ErasedBatch = { ...noRows(), transactionMs: 0, processed: 0 };
  let progress = input.progress;
  let whileErasing = input.whileErasing;
  while (erased.processed < input.conversationIds.length) {
    const erasing = ctx.database.eraseBatch({
      accountId,
      conversationIds: input.conversationIds.slice(erased.processed),
      reason,
      now: ctx.clock.now(),
      audit,
      ...ofContact,
      ...(progress ? { progress } : {}),
    });
    whileErasing?.();
    whileErasing = undefined;
    const part = await erasing;
    // A reader may have cached a key from a snapshot taken before the commit.
    ctx.keyring.forget(part.keyIds);
    const removal = { accountId, conversationIds: part.conversationIds };
    await (input.files ? input.files.start(removal) : removeConversationFiles(ctx, removal));
    addErased(erased, part);
    if (part.progress && progress) {
      erased.progress = part.progress;
      progress = { ...progress, cursor: part.progress.cursor };
      if (!part.progress.held || part.progress.cancelRequested) break;
    }
    // Went through none: it can only have failed, which it throws.
    if (part.processed === 0) throw new Error('An erasure batch went through none of its conversations');
  }
  if (input.scrub !== false) await scrubErasedPages(ctx);
  const erasedIds = new Set(erased.conversationIds);
  return {
    conversationIds: input.conversationIds.filter((id) => erasedIds.has(id)),
    conversations: erased.conversationIds.length,
    messages: erased.messages,
    attachments: erased.attachments,
    contacts: erased.contactIds.length,
    visitors: erased.visitors,
    transactionMs: erased.transactionMs,
    ...(erased.progress ? { progress: erased.progress } : {}),
  };
}

function addErased(sum: ErasedBatch, part: ErasedBatch): void {
  addRows(sum, part);
  sum.transactionMs += part.transactionMs;
  sum.processed += part.processed;
}
