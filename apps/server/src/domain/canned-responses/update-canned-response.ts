import type { CannedResponseDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { SHORTCUT_TAKEN, updateCannedResponse as updateRecord } from '../../storage/canned-responses-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { AppError, notFound } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';
import {
  auditCannedResponse,
  parseCannedResponseFields,
  presentCannedResponse,
  shortcutTaken,
  type CannedResponseInput,
} from './canned-response.js';

/**
 * Changes the given fields of one of the account's canned responses (admin and up). Throws
 * `validation_failed` for a bad or missing field, `not_found` for an unknown or another account's
 * id, and `conflict` when another canned response of the account has the new shortcut.
 */
export async function updateCannedResponse(
  ctx: Context,
  input: { by: Principal; cannedResponseId: string } & CannedResponseInput,
): Promise<CannedResponseDto> {
  requireRole(input.by, 'admin');
  const changes = parseCannedResponseFields(input);
  if (Object.keys(changes).length === 0) {
    throw new AppError('validation_failed', 'Nothing to change: send at least one of shortcut, title and body');
  }
  const now = ctx.clock.now();
  const { accountId } = input.by;
  return inTransaction(ctx.store, async (tx) => {
    const updated = await updateRecord(tx.db, { accountId, cannedResponseId: input.cannedResponseId, changes, now });
    // Only a new shortcut can collide, so `changes.shortcut` is set here.
    if (updated === SHORTCUT_TAKEN) throw shortcutTaken(changes.shortcut ?? '');
    if (!updated) throw notFound('canned response', input.cannedResponseId);
    await auditCannedResponse(tx.db, {
      by: input.by,
      action: 'canned-response.updated',
      cannedResponseId: updated.id,
      at: now,
    });
    return presentCannedResponse(updated);
  });
}
