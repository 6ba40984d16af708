import type { Executor } from './schema.js';

/** A referenced id is unknown or another account's (or another conversation's); both answer the same. */
export class ReferenceNotFoundError extends Error {
  readonly code = 'not_found';
  constructor(
    readonly what: string,
    readonly id: string,
    scope: 'account' | 'conversation' = 'account',
  ) {
    super(`No ${what} with id ${id} in this ${scope}`);
    this.name = 'ReferenceNotFoundError';
  }
}

/** A reference to check: only a message can be narrowed to a conversation. */
type Reference = { accountId: string; id: string | null | undefined; what: string } & (
  | { table: 'widgets' | 'visitors' | 'contacts' | 'operators'; conversationId?: never }
  | { table: 'messages'; conversationId?: string }
);

/**
 * Throws ReferenceNotFoundError unless the row `id` of `table` belongs to `accountId` (and, for a message
 * given `conversationId`, to that conversation). A null or absent id references nothing and passes.
 * The foreign keys check `id` only, so this is what keeps one account's rows from pointing at another's.
 */
export async function assertOwned(db: Executor, ref: Reference): Promise<void> {
  const { id, conversationId } = ref;
  if (id === null || id === undefined) return;
  const found =
    ref.table === 'messages' && conversationId !== undefined
      ? await db
          .selectFrom('messages')
          .select('id')
          .where('account_id', '=', ref.accountId)
          .where('conversation_id', '=', conversationId)
          .where('id', '=', id)
          .executeTakeFirst()
      : await db
          .selectFrom(ref.table)
          .select('id')
          .where('account_id', '=', ref.accountId)
          .where('id', '=', id)
          .executeTakeFirst();
  if (!found) throw new ReferenceNotFoundError(ref.what, id, conversationId === undefined ? 'account' : 'conversation');
}
