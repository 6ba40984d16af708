import type { Context } from '../../context.js';
import { listApiTokens } from '../../storage/api-tokens-repository.js';
import type { MessageAuthor } from '../conversations/send-message.js';
import { AppError } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/**
 * The author an operator's request writes as (minimum role: operator). An API token writes in the name
 * of the operator who created it, as it acts with that operator's role.
 */
export async function operatorAuthor(
  ctx: Context,
  principal: Principal,
): Promise<Extract<MessageAuthor, { kind: 'operator' }>> {
  requireRole(principal, 'operator');
  if (principal.kind === 'operator') {
    return { kind: 'operator', accountId: principal.accountId, operatorId: principal.operatorId };
  }
  // An account has a handful of tokens; the principal does not carry its creator, so look it up.
  const tokens = await listApiTokens(ctx.database.db, { accountId: principal.accountId });
  const creator = tokens.find((token) => token.id === principal.tokenId)?.created_by;
  // Authentication refuses tokens without a creator; a token revoked since then is refused here.
  if (!creator) throw new AppError('unauthenticated', 'This API token was revoked or its creator is gone');
  return { kind: 'operator', accountId: principal.accountId, operatorId: creator };
}
