import type { Context } from '../../context.js';
import { scrubAfterErasure } from '../../storage/database.js';
import { deleteExpiredVisitorIps } from '../../storage/retention-repository.js';

/** Conversations whose IP one statement removes at most: a short hold on the write lock. */
export const IP_PURGE_BATCH_SIZE = 500;

/**
 * Removes every stored visitor IP whose expiry has passed, in every account (P3): the sealed address
 * and its expiry become NULL, in statements of at most `batchSize` conversations. Safe to run again and
 * to interrupt: each batch commits on its own, and a second run finds only what expired since.
 * `afterBatch` hears the running count after each committed batch (the job reports progress there,
 * and may throw to stop). On SQLite the WAL is checkpointed afterwards, so the old pages are gone too.
 */
export async function purgeIpAddresses(
  ctx: Context,
  input: { batchSize?: number; afterBatch?: (removed: number) => Promise<void> } = {},
): Promise<{ removed: number }> {
  const limit = input.batchSize ?? IP_PURGE_BATCH_SIZE;
  // One cut-off for the whole run: an IP that expires while it runs waits for the next run.
  const now = ctx.clock.now();
  let removed = 0;
  for (;;) {
    const n = await deleteExpiredVisitorIps(ctx.database.db, { now, limit });
    removed += n;
    if (n < limit) break;
    await input.afterBatch?.(removed);
  }
  if (removed > 0) await scrubAfterErasure(ctx.database);
  return { removed };
}
