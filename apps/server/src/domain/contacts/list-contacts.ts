import type { ContactPageDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { listContacts as selectContacts } from '../../storage/contacts-repository.js';
import { requireRole, type Principal } from '../principal.js';
import { decodeCursor, encodeCursor, presentContactSummary } from './contact.js';

/**
 * A page of the account's contacts, newest first, each with its number of conversations; any role
 * reads them. `cursor` is the previous page's `nextCursor`. Throws `validation_failed` for a cursor
 * this API did not give.
 */
export async function listContacts(
  ctx: Context,
  input: { by: Principal; limit: number; cursor?: string | undefined },
): Promise<ContactPageDto> {
  requireRole(input.by, 'operator');
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  // One more than asked: whether it exists tells if there is a next page.
  const rows = await selectContacts(ctx.store, {
    accountId: input.by.accountId,
    limit: input.limit + 1,
    after,
  });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    contacts: page.map(presentContactSummary),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}
