import type { Context } from '../../context.js';
import { listAccountsWithWaitingChats, listOperatorsToHandBack } from '../../storage/routing-repository.js';
import { reapStaleSockets } from '../../storage/presence-repository.js';
import { handBackConversations } from './hand-back.js';
import { routeWaiting, SOCKET_STALE_MS } from './route-waiting.js';

/** What one sweep did. */
export interface SweepSummary {
  staleSockets: number;
  handedBack: number;
  routed: number;
}

/**
 * The periodic routing work of a node (every SOCKET_HEARTBEAT_MS, after the node refreshed its own
 * operator sockets): forgets the sockets of dead nodes, hands back the conversations of operators who went offline
 * or stayed away past the grace period, and routes what waits. Every step is safe to run on many
 * nodes at once: each one takes the account lock or changes rows conditionally.
 */
export async function sweepRouting(ctx: Context): Promise<SweepSummary> {
  const now = ctx.clock.now();
  const db = ctx.database.db;
  const staleSockets = await reapStaleSockets(db, { seenBefore: now - SOCKET_STALE_MS, now });
  let handedBack = 0;
  const disconnectedBefore = now - ctx.config.operatorGraceSeconds * 1000;
  for (const operator of await listOperatorsToHandBack(db, { disconnectedBefore })) {
    handedBack += (await handBackConversations(ctx, { ...operator, disconnectedBefore })).length;
  }
  let routed = 0;
  for (const accountId of await listAccountsWithWaitingChats(db)) {
    routed += (await routeWaiting(ctx, { accountId })).length;
  }
  return { staleSockets, handedBack, routed };
}
