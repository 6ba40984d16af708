import type { Context } from '../../context.js';
import { deleteCannedResponse as deleteRecord } from '../../storage/canned-responses-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import { auditCannedResponse } from './canned-response.js';

/** Deletes one of the account's canned responses (admin and up); `not_found` for an unknown or another account's id. */
export async function deleteCannedResponse(
  ctx: Context,
  input: { by: Principal; cannedResponseId: string },
): Promise<void> {
  requireRole(input.by, 'admin');
  const now = ctx.clock.now();
  await inTransaction(ctx.store, async (tx) => {
    const { accountId } = input.by;
    if (!(await deleteRecord(tx.db, { accountId, cannedResponseId: input.cannedResponseId }))) {
      throw notFound('canned response', input.cannedResponseId);
    }
    await auditCannedResponse(tx.db, {
      by: input.by,
      action: 'canned-response.deleted',
      cannedResponseId: input.cannedResponseId,
      at: now,
    });
  });
}
