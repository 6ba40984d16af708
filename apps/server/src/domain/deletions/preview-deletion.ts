import type { DeletionFilter, DeletionPreviewDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { countMatchingConversations, countMatchingMessages } from '../../storage/deletion-queries.js';
import { requireRole, type CliActor, type Principal } from '../principal.js';
import { checkDeletionFilter, matchOf } from './deletion-filter.js';

/**
 * A bulk delete's dry run (admin and up): how many conversations of the caller's account the filter
 * matches now, and how many messages they hold. Changes nothing. The filter is checked as a real
 * delete checks it (checkDeletionFilter).
 */
export async function previewDeletion(
  ctx: Context,
  input: { by: Principal | CliActor; filter: DeletionFilter },
): Promise<DeletionPreviewDto> {
  const { by, filter } = input;
  requireRole(by, 'admin');
  await checkDeletionFilter(ctx, { accountId: by.accountId, filter });
  const match = matchOf({ accountId: by.accountId, filter, createdBefore: ctx.clock.now() });
  const { db } = ctx.database;
  return {
    conversations: await countMatchingConversations(db, match),
    messages: await countMatchingMessages(db, match),
  };
}
