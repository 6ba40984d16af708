import { randomUUID } from 'node:crypto';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import type { VisitorTokenClaims } from '../../crypto/visitor-token.js';
import { lockConversation, setVisitorEmail } from '../../storage/conversations-repository.js';
import { insertDeliveries, newestDeliveryAt } from '../../storage/deliveries-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { assertAccountActive } from '../accounts/terminate-account.js';
import { AppError, notFound } from '../errors.js';
import { activeFunctions } from '../functions/account-functions.js';
import { wakeDeliveryWorker } from './queue-deliveries.js';

/**
 * How long after one transcript email of a conversation another may be asked for: the address is the
 * visitor's to choose, so the account's mail server must not become a way to mail anyone repeatedly.
 */
export const TRANSCRIPT_INTERVAL_MS = 5 * 60_000;

/**
 * A visitor asks for their conversation's transcript by email: the address is kept sealed with the
 * conversation (replacing one left with an offline message) and the email is queued in the same
 * transaction, sent through the mail server while the optional function `email` runs for the account.
 * `function_inactive` when it does not, `rate_limited` within TRANSCRIPT_INTERVAL_MS of the last one
 * (nothing is kept either way); only the conversation's own visitor may ask (`not_found` otherwise).
 */
export async function requestTranscript(
  ctx: Context,
  input: { visitor: VisitorTokenClaims; conversationId: string; email: string },
): Promise<void> {
  const { accountId, visitorId } = input.visitor;
  const { conversationId } = input;
  await assertAccountActive(ctx, { accountId, refused: 'visitor' });
  if (!(await activeFunctions(ctx, ctx.database.db, accountId)).has('email')) {
    throw new AppError('function_inactive', 'This website does not send transcripts by email');
  }
  const now = ctx.clock.now();
  try {
    await inTransaction(ctx.store, async (tx) => {
      const conversation = await lockConversation(tx.db, { accountId, conversationId });
      if (!conversation || conversation.visitorId !== visitorId) throw notFound('conversation', conversationId);
      const last = await newestDeliveryAt(tx.db, { accountId, conversationId, event: 'transcript.requested' });
      if (last !== undefined && now - last < TRANSCRIPT_INTERVAL_MS) {
        throw new AppError('rate_limited', 'The transcript was sent a moment ago: ask again in a few minutes');
      }
      await setVisitorEmail(tx, { accountId, conversationId, email: input.email, now });
      await insertDeliveries(tx.db, [
        {
          id: randomUUID(),
          accountId,
          fn: 'email',
          event: 'transcript.requested',
          endpointId: null,
          conversationId,
          messageId: null,
          now,
        },
      ]);
    });
  } catch (error) {
    if (error instanceof KeyDestroyedError) throw notFound('conversation', conversationId);
    throw error;
  }
  wakeDeliveryWorker(ctx);
}
