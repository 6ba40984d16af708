import { randomUUID } from 'node:crypto';
import type { ApiTokenDto, TokenScope } from '@plauder/protocol';
import type { Context } from '../../context.js';
import {
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiTokenRecord,
} from '../../storage/api-tokens-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { hashSecret, newSecret } from '../auth/session-tokens.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';

function present(token: ApiTokenRecord): ApiTokenDto {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    createdAt: token.created_at,
    lastUsedAt: token.last_used_at,
    expiresAt: token.expires_at,
  };
}

/**
 * Creates an API token of the account. Only a logged-in admin or owner may: a token never mints
 * another. The secret is returned once; only its hash is stored.
 */
export async function createApiToken(
  ctx: Context,
  input: { by: Principal; name: string; scope: TokenScope; expiresInDays?: number | undefined },
): Promise<{ token: ApiTokenDto; secret: string }> {
  if (input.by.kind !== 'operator')
    throw new AppError('forbidden', 'API tokens are created by a logged-in person, not by another token');
  requireRole(input.by, 'admin');
  const now = ctx.clock.now();
  const secret = newSecret('plt_');
  const record: ApiTokenRecord = {
    id: randomUUID(),
    account_id: input.by.accountId,
    created_by: input.by.operatorId,
    name: input.name.trim(),
    token_hash: hashSecret(secret),
    scope: input.scope,
    created_at: now,
    last_used_at: null,
    expires_at: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
    revoked_at: null,
  };
  await inTransaction(ctx.store, async (tx) => {
    await insertApiToken(tx.db, record);
    await insertAuditEntry(tx.db, {
      accountId: record.account_id,
      ...actorOf(input.by),
      action: 'api-token.created',
      targetKind: 'api_token',
      targetIds: [record.id],
      at: now,
    });
  });
  return { token: present(record), secret };
}

/** The account's live API tokens, without secrets. */
export async function listTokens(ctx: Context, input: { by: Principal }): Promise<ApiTokenDto[]> {
  requireRole(input.by, 'admin');
  return (await listApiTokens(ctx.database.db, { accountId: input.by.accountId })).map(present);
}

/** Revokes one of the account's API tokens. */
export async function revokeToken(ctx: Context, input: { by: Principal; tokenId: string }): Promise<void> {
  requireRole(input.by, 'admin');
  const now = ctx.clock.now();
  await inTransaction(ctx.store, async (tx) => {
    if (!(await revokeApiToken(tx.db, { accountId: input.by.accountId, tokenId: input.tokenId, now }))) {
      throw notFound('API token', input.tokenId);
    }
    await insertAuditEntry(tx.db, {
      accountId: input.by.accountId,
      ...actorOf(input.by),
      action: 'api-token.revoked',
      targetKind: 'api_token',
      targetIds: [input.tokenId],
      at: now,
    });
  });
}
