import type { Context } from '../../context.js';
import { conversationFilesPrefix } from '../../storage/attachments-repository.js';
import { scrubAfterErasure } from '../../storage/database.js';

/** How many conversations' files are removed at once: S3 lists and deletes each prefix in round trips. */
const FILE_DELETES_AT_ONCE = 8;

/**
 * Removes the files of erased conversations from the file store, by prefix, so a file stored by an
 * upload that never committed goes too. Runs after the erasure committed, so a failure is logged, not
 * answered: the files are sealed with the destroyed keys and unreadable either way.
 */
export async function removeConversationFiles(
  ctx: Context,
  input: { accountId: string; conversationIds: readonly string[] },
): Promise<void> {
  const { accountId } = input;
  let next = 0;
  const worker = async () => {
    while (next < input.conversationIds.length) {
      const conversationId = input.conversationIds[next++];
      if (conversationId === undefined) return;
      try {
        await ctx.fileStore.deletePrefix(conversationFilesPrefix({ accountId, conversationId }));
      } catch (error) {
        ctx.logger.error(
          { err: error, accountId, conversationId },
          'Could not delete the files of an erased conversation',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILE_DELETES_AT_ONCE, input.conversationIds.length) }, worker));
}

/**
 * File removals (removeConversationFiles) that run behind a job's erasure batches, so that the job
 * posts its next batch without waiting for them: each batch's removal starts when the one before it
 * has ended, and `start` answers then, so that at most one runs beside the next batch. Like the
 * removal it runs, it never fails: a failure is logged.
 */
export class FileRemovals {
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: Context) {}

  /** Queues the removal of these erased conversations' files; answers when the removal before it has ended. */
  async start(input: { accountId: string; conversationIds: readonly string[] }): Promise<void> {
    const before = this.running;
    this.running = before
      .then(() => removeConversationFiles(this.ctx, input))
      // It logs its own failures; this keeps one of the logger's own from stopping the removals after it.
      .catch(() => undefined);
    await before;
  }

  /** Resolves when every removal queued so far has ended. */
  settled(): Promise<void> {
    return this.running;
  }
}

/**
 * On SQLite, checkpoints the WAL so the old page images of erased rows leave it (scrubAfterErasure);
 * logged, not answered, on failure: the erasure has committed and its keys are destroyed.
 */
export async function scrubErasedPages(ctx: Context): Promise<void> {
  try {
    await scrubAfterErasure(ctx.database);
  } catch (error) {
    ctx.logger.error({ err: error }, 'Could not checkpoint the WAL after an erasure');
  }
}
