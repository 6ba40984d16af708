import type { Context } from '../../context.js';
import { listOperators as selectOperators, type Operator } from '../../storage/operators-repository.js';
import { requireRole, type Principal } from '../principal.js';

/** The operators of the account `by` acts in, oldest first; any role may list them. */
export async function listOperators(ctx: Context, input: { by: Principal }): Promise<Operator[]> {
  requireRole(input.by, 'operator');
  return selectOperators(ctx.store, { accountId: input.by.accountId });
}
