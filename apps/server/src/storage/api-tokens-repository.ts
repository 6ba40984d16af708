import type { ApiTokensTable, Executor } from './schema.js';
import type { Selectable } from 'kysely';

/** An API token's record; only the hash of its secret is stored. */
export type ApiTokenRecord = Selectable<ApiTokensTable>;

/** Stores a new API token. */
export async function insertApiToken(db: Executor, token: ApiTokenRecord): Promise<void> {
  await db.insertInto('api_tokens').values(token).execute();
}

/** A token by the hash of its secret. */
export function findApiTokenByHash(db: Executor, tokenHash: string): Promise<ApiTokenRecord | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** The live (not revoked) tokens of one account, newest first. */
export function listApiTokens(db: Executor, where: { accountId: string }): Promise<ApiTokenRecord[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Revokes a token of the account; false when unknown, already revoked or another account's. */
export async function revokeApiToken(
  db: Executor,
  where: { accountId: string; tokenId: string; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: where.now })
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.tokenId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Notes when a token was last used. */
export async function touchApiToken(db: Executor, where: { tokenId: string; now: number }): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: where.now }).where('id', '=', where.tokenId).execute();
}
