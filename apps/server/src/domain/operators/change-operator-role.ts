import type { Role } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { countOwners, getOperator, setOperatorRole, type Operator } from '../../storage/operators-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';

/**
 * Changes an operator's role. Admins move people between operator and admin; owners alone grant or
 * take the owner role; an account never loses its last owner. API tokens change nothing but operators
 * into operators: a token that could make an admin would hand out what tokens may not do themselves.
 */
export async function changeOperatorRole(
  ctx: Context,
  input: { by: Principal; operatorId: string; role: Role },
): Promise<Operator> {
  requireRole(input.by, 'admin');
  const now = ctx.clock.now();
  return inTransaction(ctx.store, async (tx) => {
    const accountId = input.by.accountId;
    await lockAccount(tx.db, accountId);
    const target = await getOperator(tx, { accountId, operatorId: input.operatorId });
    // A removed operator is gone for the account, as an unknown one is.
    if (!target || target.disabledAt !== null) throw notFound('operator', input.operatorId);
    if (target.role === 'owner' || input.role === 'owner') requireRole(input.by, 'owner');
    if (input.by.kind === 'api_token' && (input.role !== 'operator' || target.role !== 'operator')) {
      throw new AppError('forbidden', 'API tokens change operators only; admins and owners are made by a person');
    }
    if (target.role === 'owner' && input.role !== 'owner' && (await countOwners(tx, { accountId })) <= 1) {
      throw new AppError('conflict', 'This is the last owner of the account; make another operator owner first');
    }
    if (target.role !== input.role) {
      await setOperatorRole(tx, { accountId, operatorId: target.id, role: input.role, now });
      await insertAuditEntry(tx.db, {
        accountId,
        ...actorOf(input.by),
        action: 'operator.role-changed',
        targetKind: 'operator',
        targetIds: [target.id],
        at: now,
      });
    }
    return { ...target, role: input.role };
  });
}
