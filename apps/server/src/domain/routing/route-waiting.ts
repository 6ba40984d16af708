import type { Context } from '../../context.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import {
  assignConversationRow,
  listRoutingCandidates,
  listWaiting,
  markAssigned,
  type RoutingCandidate,
} from '../../storage/routing-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { announce } from '../conversations/announce.js';
import {
  accountChannel,
  conversationChannel,
  type AccountEvent,
  type ConversationEvent,
} from '../conversations/events.js';
import { announceQueuePlaces } from './queue.js';

/** How often a node refreshes its operator sockets' `seen_at`, in milliseconds. */
export const SOCKET_HEARTBEAT_MS = 10_000;

/** An operator socket not refreshed for this long belongs to a dead node and no longer counts. */
export const SOCKET_STALE_MS = 3 * SOCKET_HEARTBEAT_MS;

/** How many waiting chats one routing pass hands out at most; the next pass takes the rest. */
const BATCH = 200;

/** One conversation routing gave an operator. */
export interface Assignment {
  conversationId: string;
  operatorId: string;
  /** The conversation's state version after it. */
  version: number;
}

/**
 * The operator who gets the next conversation: the one with the fewest open conversations under
 * capacity; among equals the one who got a conversation longest ago (never first), so ties go round
 * robin; the id breaks what is left, so every node picks the same one.
 */
export function pickOperator(candidates: readonly RoutingCandidate[]): RoutingCandidate | undefined {
  let best: RoutingCandidate | undefined;
  for (const candidate of candidates) {
    if (candidate.openCount >= candidate.capacity) continue;
    if (!best || compare(candidate, best) < 0) best = candidate;
  }
  return best;
}

function compare(a: RoutingCandidate, b: RoutingCandidate): number {
  if (a.openCount !== b.openCount) return a.openCount - b.openCount;
  const at = (c: RoutingCandidate) => c.lastAssignedAt ?? -1;
  if (at(a) !== at(b)) return at(a) - at(b);
  return a.operatorId < b.operatorId ? -1 : a.operatorId > b.operatorId ? 1 : 0;
}

/**
 * Hands the account's waiting chats, oldest first, to available operators (see pickOperator) until
 * the chats or the capacity run out. The account row is locked meanwhile, so passes on several nodes
 * take turns and never give an operator more than their capacity. Offline messages are not routed.
 */
export async function routeWaiting(ctx: Context, input: { accountId: string }): Promise<Assignment[]> {
  const { accountId } = input;
  const now = ctx.clock.now();
  const assignments = await inTransaction(ctx.store, async (tx) => {
    await lockAccount(tx.db, accountId);
    const candidates = await listRoutingCandidates(tx.db, { accountId, seenSince: now - SOCKET_STALE_MS });
    if (!candidates.some((c) => c.openCount < c.capacity)) return [];
    const waiting = await listWaiting(tx.db, { accountId, origin: 'chat', limit: BATCH });
    const made: Assignment[] = [];
    for (const conversation of waiting) {
      const operator = pickOperator(candidates);
      if (!operator) break;
      const version = await assignConversationRow(tx.db, {
        accountId,
        conversationId: conversation.id,
        operatorId: operator.operatorId,
        from: 'waiting',
        now,
      });
      if (version === undefined) continue;
      await markAssigned(tx.db, { operatorId: operator.operatorId, now });
      operator.openCount += 1;
      operator.lastAssignedAt = now;
      made.push({ conversationId: conversation.id, operatorId: operator.operatorId, version });
    }
    return made;
  });
  for (const assignment of assignments) {
    await announceAssignment(ctx, { accountId, ...assignment, fromOperatorId: null, how: 'routed' });
  }
  if (assignments.length > 0) await announceQueuePlaces(ctx, { accountId });
  return assignments;
}

/** Tells the account's operators and the conversation's visitor who has a conversation now. */
export async function announceAssignment(
  ctx: Context,
  input: {
    accountId: string;
    conversationId: string;
    operatorId: string;
    fromOperatorId: string | null;
    how: Extract<AccountEvent, { type: 'conversation.assigned' }>['how'];
    version: number;
  },
): Promise<void> {
  const { accountId, conversationId, operatorId } = input;
  const inbox: AccountEvent = {
    type: 'conversation.assigned',
    conversationId,
    operatorId,
    fromOperatorId: input.fromOperatorId,
    how: input.how,
    version: input.version,
  };
  announce(ctx, accountChannel(accountId), inbox);
  const event: ConversationEvent = {
    type: 'conversation.assigned',
    conversationId,
    operatorId,
    version: input.version,
  };
  announce(ctx, conversationChannel(conversationId), event);
}

/**
 * Routes the account's waiting chats after a change that has committed already (a start, a close, a
 * presence change). A failure does not fail that change: it is logged, and the next sweep (within
 * SOCKET_HEARTBEAT_MS) routes again.
 */
export async function routeAfterChange(ctx: Context, input: { accountId: string }): Promise<Assignment[]> {
  try {
    return await routeWaiting(ctx, input);
  } catch (error) {
    ctx.logger.error({ err: error, accountId: input.accountId }, 'Routing failed; the next sweep tries again');
    return [];
  }
}
