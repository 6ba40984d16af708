import type { Context } from '../../context.js';
import { anyRoutingCandidate } from '../../storage/routing-repository.js';
import { SOCKET_STALE_MS } from './route-waiting.js';

/**
 * Whether an operator of the account is online and connected now, busy or not: a chat started now
 * reaches someone (perhaps after a wait in the queue). When none is, the window offers an offline message.
 */
export async function operatorsAvailable(ctx: Context, input: { accountId: string }): Promise<boolean> {
  const seenSince = ctx.clock.now() - SOCKET_STALE_MS;
  return anyRoutingCandidate(ctx.database.db, { accountId: input.accountId, seenSince });
}
