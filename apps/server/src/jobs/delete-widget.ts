import { z } from 'zod';
import type { Context } from '../context.js';
import { FileRemovals, scrubErasedPages } from '../domain/erasure/after-erasure.js';
import { insertAuditEntry } from '../storage/audit-repository.js';
import type { ConversationMatch } from '../storage/deletion-queries.js';
import { inTransaction } from '../storage/sealed-store.js';
import { findWidgetRecord, removeDeletedWidget } from '../storage/widgets-repository.js';
import { ALL_STATUSES, ErasureCursor, eraseInPasses, firstErasureCursor } from './erase-in-passes.js';
import { defineJob } from './job.js';
import { parseJobCursor } from './job-cursor.js';

/** A widget's deletion: the widget, and who asked for it (the audit entries of the job name them). */
const Payload = z
  .object({
    widgetId: z.string().uuid(),
    startedBy: z.object({ kind: z.enum(['operator', 'api_token', 'cli']), id: z.string().nullable() }).strict(),
  })
  .strict();

/** Times the job erases what is left and tries to remove the row, before it fails (and is retried later). */
const MAX_SWEEPS = 3;

/**
 * Every conversation of a widget, whenever it started: unlike a bulk delete, this one must leave none,
 * since removing the row would delete the rest (the foreign key's cascade) without destroying their keys.
 */
export function widgetMatch(where: { accountId: string; widgetId: string }): ConversationMatch {
  return { accountId: where.accountId, widgetId: where.widgetId, createdBefore: Number.MAX_SAFE_INTEGER };
}

/**
 * Deletes a widget marked deleted (domain/widgets/delete-widget): erases all its conversations as a
 * bulk delete does (eraseInPasses: ended as the system without a rollup event, keys destroyed, rows,
 * files and search entries deleted, one audit entry `conversations.erased` per transaction), then
 * removes its row, with its visitors, and writes `widget.deleted`. A conversation that started just
 * before the widget was marked is found then and erased in another sweep. A killed run resumes at its
 * position; one that finds the row gone has nothing left to do. It cannot be cancelled (cancelJob
 * refuses): the widget is gone from its sites and the console already, and stopping half way would
 * leave it so. Progress counts conversations; the total is the count when it was asked for.
 */
export const deleteWidgetJob = defineJob({
  name: 'delete-widget',
  payload: Payload,
  unit: 'conversations',
  cancellable: false,
  async run(ctx, job) {
    const accountId = job.accountId;
    if (accountId === null) throw new Error('A delete-widget job needs an account');
    const { widgetId, startedBy } = job.payload;
    if (await findWidgetRecord(ctx.database.db, { accountId, widgetId })) {
      throw new Error(`The widget ${widgetId} is not marked deleted; its conversations are not erased`);
    }
    const match = widgetMatch({ accountId, widgetId });
    let cursor = parseJobCursor(ErasureCursor, job.cursor) ?? (await firstErasureCursor(ctx, match));
    const actor = { actorKind: startedBy.kind, actorId: startedBy.id };
    const files = new FileRemovals(ctx);
    try {
      for (let sweep = 1; ; sweep++) {
        cursor = await eraseInPasses(ctx, {
          job,
          accountId,
          match,
          statuses: ALL_STATUSES,
          cursor,
          reason: 'widget deleted',
          audit: { action: 'conversations.erased', ...actor },
          files,
        });
        const removal = await removeWidget(ctx, { accountId, widgetId, actor, erased: cursor.totals.conversations });
        if (removal.outcome !== 'remaining') break;
        if (sweep === MAX_SWEEPS) {
          throw new Error(
            `The widget ${widgetId} still has ${removal.conversations} conversations after ${MAX_SWEEPS} sweeps`,
          );
        }
        const total = (cursor.total ?? cursor.totals.conversations) + removal.conversations;
        cursor = { ...cursor, pass: 0, after: null, roundStart: cursor.totals.conversations, total };
      }
    } finally {
      await files.settled();
      // Once, at the end (a failed run's too): the checkpoint pauses every write meanwhile, chats' too.
      await scrubErasedPages(ctx);
    }
    return { ...cursor.totals };
  },
});

/** Removes the widget's row when none of its conversations is left, with its audit entry, in one transaction. */
function removeWidget(
  ctx: Context,
  input: {
    accountId: string;
    widgetId: string;
    actor: { actorKind: 'operator' | 'api_token' | 'cli'; actorId: string | null };
    erased: number;
  },
): ReturnType<typeof removeDeletedWidget> {
  const { accountId, widgetId } = input;
  return inTransaction(ctx.store, async (tx) => {
    const removal = await removeDeletedWidget(tx.db, { dialect: ctx.database.dialect, accountId, widgetId });
    if (removal.outcome === 'removed') {
      await insertAuditEntry(tx.db, {
        accountId,
        ...input.actor,
        action: 'widget.deleted',
        targetKind: 'widget',
        targetIds: [widgetId],
        count: input.erased,
        at: ctx.clock.now(),
      });
    }
    return removal;
  });
}
