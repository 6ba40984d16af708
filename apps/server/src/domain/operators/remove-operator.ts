import type { Context } from '../../context.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { countOwners, disableOperator, getOperator } from '../../storage/operators-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { deleteSessions } from '../../storage/sessions-repository.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { setPresence } from './set-presence.js';

/**
 * Removes an operator from the account (admin and up; only owners remove owners, API tokens remove
 * operators only). Nobody removes themselves, and an account keeps its last owner. In one transaction
 * the operator is disabled, their email freed for a new invitation, their sessions deleted and their
 * API tokens revoked; then they go offline as `presence.set` does, so their open conversations go back
 * to the queue at once. Their sockets close at the next session check. The row, with their sealed name
 * and email, stays for the history of the conversations they answered. `not_found` for an unknown id,
 * another account's, or one removed already.
 */
export async function removeOperator(ctx: Context, input: { by: Principal; operatorId: string }): Promise<void> {
  const { by, operatorId } = input;
  requireRole(by, 'admin');
  if (by.kind === 'operator' && by.operatorId === operatorId) {
    throw new AppError('forbidden', 'You cannot remove yourself; another admin or owner can');
  }
  const accountId = by.accountId;
  const now = ctx.clock.now();
  await inTransaction(ctx.store, async (tx) => {
    // One removal or role change of the account at a time, so two cannot take away its last owners.
    await lockAccount(tx.db, accountId);
    const target = await getOperator(tx, { accountId, operatorId });
    if (!target || target.disabledAt !== null) throw notFound('operator', operatorId);
    if (by.kind === 'api_token' && target.role !== 'operator') {
      throw new AppError('forbidden', 'API tokens remove operators only; admins and owners are removed by a person');
    }
    if (target.role === 'owner') {
      requireRole(by, 'owner');
      if ((await countOwners(tx, { accountId })) <= 1) {
        throw new AppError('conflict', 'This is the last owner of the account; make another operator owner first');
      }
    }
    await disableOperator(tx.db, { accountId, operatorId, now });
    await deleteSessions(tx.db, { operatorId });
    await insertAuditEntry(tx.db, {
      accountId,
      ...actorOf(by),
      action: 'operator.removed',
      targetKind: 'operator',
      targetIds: [operatorId],
      at: now,
    });
  });
  await setPresence(ctx, { accountId, operatorId, status: 'offline' });
}
