import type { Context } from '../../context.js';
import { lockConversation } from '../../storage/conversations-repository.js';
import { findOperatorStanding } from '../../storage/operators-repository.js';
import { assignConversationRow } from '../../storage/routing-repository.js';
import { isReachable } from '../../storage/presence-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError, notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import { announceQueuePlaces } from '../routing/queue.js';
import { announceAssignment, SOCKET_STALE_MS } from '../routing/route-waiting.js';

/** The operator who acts, with their role. */
export type ActingOperator = Principal & { kind: 'operator' };

/**
 * Gives a conversation to an operator by hand, past routing and capacity:
 * - `accepted`: the acting operator takes a waiting one (any role; taking one's own again is a no-op);
 * - `assigned`: an admin gives a waiting one to an operator;
 * - `transferred`: the operator who has an open one, or an admin, hands it to another.
 * The receiver must be an enabled operator of the account who is connected and not offline.
 */
export async function assignConversation(
  ctx: Context,
  input: {
    by: ActingOperator;
    conversationId: string;
    /** The receiver; for `accepted` the acting operator. */
    operatorId: string;
    how: 'accepted' | 'assigned' | 'transferred';
  },
): Promise<{ operatorId: string; fromOperatorId: string | null; changed: boolean }> {
  const { by, conversationId, how } = input;
  const { accountId } = by;
  if (how === 'assigned') requireRole(by, 'admin');
  const operatorId = how === 'accepted' ? by.operatorId : input.operatorId;
  const now = ctx.clock.now();
  const result = await inTransaction(ctx.store, async (tx) => {
    const conversation = await lockConversation(tx.db, { accountId, conversationId });
    if (!conversation) throw notFound('conversation', conversationId);
    if (conversation.status === 'closed') throw new AppError('conversation_closed', 'This conversation is closed');
    if (conversation.operatorId === operatorId) {
      return { fromOperatorId: conversation.operatorId, changed: false, version: conversation.stateVersion };
    }
    if (how === 'transferred') {
      if (conversation.status !== 'open') {
        throw new AppError('conflict', 'Only an open conversation is transferred; accept or assign a waiting one');
      }
      if (conversation.operatorId !== by.operatorId) requireRole(by, 'admin');
    } else if (conversation.status !== 'waiting') {
      throw new AppError(
        'conflict',
        'Another operator has this conversation already; ask them or an admin to transfer it',
      );
    }
    const receiver = await findOperatorStanding(tx.db, { accountId, operatorId });
    if (!receiver || receiver.disabled_at !== null) throw notFound('operator', operatorId);
    if (!(await isReachable(tx.db, { accountId, operatorId, seenSince: now - SOCKET_STALE_MS }))) {
      throw new AppError('operator_unavailable', 'That operator is offline; choose one who is online or away');
    }
    const from = how === 'transferred' ? 'open' : 'waiting';
    const version = await assignConversationRow(tx.db, { accountId, conversationId, operatorId, from, now });
    if (version === undefined) throw new AppError('conflict', 'The conversation changed meanwhile; look at it again');
    return { fromOperatorId: conversation.operatorId, changed: true, version };
  });
  if (result.changed) {
    await announceAssignment(ctx, {
      accountId,
      conversationId,
      operatorId,
      fromOperatorId: result.fromOperatorId,
      how,
      version: result.version,
    });
    if (how !== 'transferred') await announceQueuePlaces(ctx, { accountId });
  }
  return { operatorId, fromOperatorId: result.fromOperatorId, changed: result.changed };
}
