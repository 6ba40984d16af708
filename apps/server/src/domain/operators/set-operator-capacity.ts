import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { getOperator, type Operator } from '../../storage/operators-repository.js';
import { notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { setPresence } from './set-presence.js';

/**
 * Sets how many conversations routing gives an operator at most (0 to 100): admins for anyone of the
 * account, every operator for themselves. It works as `presence.set` with a capacity does: colleagues
 * are told, and a raised capacity lets routing give the operator waiting chats at once. `not_found` for
 * an unknown id, another account's, or a removed operator. Audited by id only.
 */
export async function setOperatorCapacity(
  ctx: Context,
  input: { by: Principal; operatorId: string; capacity: number },
): Promise<Operator> {
  const { by, operatorId, capacity } = input;
  const themselves = by.kind === 'operator' && by.operatorId === operatorId;
  if (!themselves) requireRole(by, 'admin');
  const accountId = by.accountId;
  const target = await getOperator(ctx.store, { accountId, operatorId });
  if (!target || target.disabledAt !== null) throw notFound('operator', operatorId);
  await setPresence(ctx, { accountId, operatorId, capacity });
  await insertAuditEntry(ctx.database.db, {
    accountId,
    ...actorOf(by),
    action: 'operator.capacity-changed',
    targetKind: 'operator',
    targetIds: [operatorId],
    at: ctx.clock.now(),
  });
  return { ...target, capacity };
}
