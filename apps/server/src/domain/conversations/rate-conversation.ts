import type { Context } from '../../context.js';
import {
  lockConversation,
  findRating,
  rateConversation as storeRating,
} from '../../storage/conversations-repository.js';
import { addToRollups } from '../../storage/rollups-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { assertAccountActive } from '../accounts/terminate-account.js';
import { AppError, notFound } from '../errors.js';

/**
 * The visitor rates their conversation, 1 to 5 with an optional comment (sealed). A second rating
 * replaces the first; the rollups then count the conversation once with the new value. A terminated
 * account takes no rating (`account_terminated`): a comment is new personal data.
 */
export async function rateConversation(
  ctx: Context,
  input: {
    visitor: { accountId: string; visitorId: string };
    conversationId: string;
    rating: number;
    comment?: string | undefined;
  },
): Promise<void> {
  const { accountId, visitorId } = input.visitor;
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
    throw new AppError('validation_failed', 'A rating is a whole number from 1 to 5');
  }
  const comment = input.comment?.trim() || null;
  await assertAccountActive(ctx, { accountId, refused: 'visitor' });
  const now = ctx.clock.now();
  await inTransaction(ctx.store, async (tx) => {
    const conversation = await lockConversation(tx.db, { accountId, conversationId: input.conversationId });
    if (!conversation || conversation.visitorId !== visitorId) throw notFound('conversation', input.conversationId);
    const previous = await findRating(tx.db, { accountId, conversationId: input.conversationId });
    await storeRating(tx, { accountId, conversationId: input.conversationId, rating: input.rating, comment, now });
    await addToRollups(tx.db, {
      accountId,
      at: now,
      widgetId: conversation.widgetId,
      operatorId: conversation.operatorId,
      increments: {
        'ratings.count': previous === null ? 1 : 0,
        'ratings.sum': input.rating - (previous ?? 0),
        // The distribution: `ratings.r1` … `ratings.r5` count the conversations rated so.
        ...(previous === null || previous === input.rating ? {} : { [`ratings.r${previous}`]: -1 }),
        ...(previous === input.rating ? {} : { [`ratings.r${input.rating}`]: 1 }),
      },
    });
  });
}
