import type { Context } from '../../context.js';
import { findApiTokenByHash, touchApiToken } from '../../storage/api-tokens-repository.js';
import { findOperatorStanding, getOperator, type Operator } from '../../storage/operators-repository.js';
import { deleteSessions, findSession, touchSession } from '../../storage/sessions-repository.js';
import { AppError } from '../errors.js';
import type { Principal } from '../principal.js';
import { hashSecret } from './session-tokens.js';

/** Sessions slide forward on use, but write their new expiry at most this often (milliseconds). */
const TOUCH_INTERVAL_MS = 60_000;

/** Resolves a session cookie to its operator; throws `session_expired` or `unauthenticated`. */
export async function authenticateSession(
  ctx: Context,
  secret: string,
): Promise<{ principal: Principal & { kind: 'operator' }; operator: Operator; expiresAt: number }> {
  const session = await findSession(ctx.database.db, hashSecret(secret));
  if (!session) throw new AppError('unauthenticated', 'Not logged in; log in at POST /api/v1/auth/login');
  const now = ctx.clock.now();
  if (session.expiresAt <= now) {
    await deleteSessions(ctx.database.db, { id: session.id });
    throw new AppError('session_expired', 'The session has expired; log in again');
  }
  const operator = await getOperator(ctx.store, { accountId: session.accountId, operatorId: session.operatorId });
  if (!operator || operator.disabledAt !== null) {
    await deleteSessions(ctx.database.db, { id: session.id });
    throw new AppError('unauthenticated', 'This operator can no longer log in');
  }
  let expiresAt = session.expiresAt;
  if (now - session.lastSeenAt > TOUCH_INTERVAL_MS) {
    expiresAt = now + ctx.config.sessionTtlMinutes * 60_000;
    await touchSession(ctx.database.db, { id: session.id, now, expiresAt });
  }
  return {
    principal: {
      kind: 'operator',
      accountId: operator.accountId,
      operatorId: operator.id,
      role: operator.role,
      sessionId: session.id,
    },
    operator,
    expiresAt,
  };
}

/**
 * Resolves an API token (Bearer) to its account and role: its creator's current role, capped at admin.
 * Throws `unauthenticated` for unknown or revoked tokens and for tokens whose creator is gone or
 * disabled, `session_expired` for expired ones.
 */
export async function authenticateApiToken(ctx: Context, secret: string): Promise<Principal & { kind: 'api_token' }> {
  const token = await findApiTokenByHash(ctx.database.db, hashSecret(secret));
  const now = ctx.clock.now();
  if (!token || token.revoked_at !== null) throw new AppError('unauthenticated', 'Unknown or revoked API token');
  if (token.expires_at !== null && token.expires_at <= now) {
    throw new AppError('session_expired', 'This API token has expired; create a new one');
  }
  const creator = token.created_by
    ? await findOperatorStanding(ctx.database.db, { accountId: token.account_id, operatorId: token.created_by })
    : undefined;
  if (!creator || creator.disabled_at !== null) {
    throw new AppError(
      'unauthenticated',
      'The operator who created this API token can no longer log in; create a new one',
    );
  }
  if (token.last_used_at === null || now - token.last_used_at > TOUCH_INTERVAL_MS) {
    await touchApiToken(ctx.database.db, { tokenId: token.id, now });
  }
  return {
    kind: 'api_token',
    accountId: token.account_id,
    tokenId: token.id,
    scope: token.scope,
    role: creator.role === 'operator' ? 'operator' : 'admin',
  };
}

/** Ends a session (logout). */
export async function logOut(ctx: Context, principal: Principal & { kind: 'operator' }): Promise<void> {
  await deleteSessions(ctx.database.db, { id: principal.sessionId });
}
