import { randomUUID } from 'node:crypto';
import type { CannedResponseDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import {
  insertCannedResponse,
  SHORTCUT_TAKEN,
  type CannedResponseRecord,
} from '../../storage/canned-responses-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { requireRole, type Principal } from '../principal.js';
import {
  auditCannedResponse,
  parseBody,
  parseShortcut,
  parseTitle,
  presentCannedResponse,
  shortcutTaken,
} from './canned-response.js';

/**
 * Adds a canned response to the account (admin and up: the texts speak for the whole account).
 * Throws `validation_failed` for a field that breaks its rule and `conflict` for a shortcut in use.
 */
export async function createCannedResponse(
  ctx: Context,
  input: { by: Principal; shortcut: string; title: string; body: string },
): Promise<CannedResponseDto> {
  requireRole(input.by, 'admin');
  const now = ctx.clock.now();
  const record: CannedResponseRecord = {
    id: randomUUID(),
    account_id: input.by.accountId,
    shortcut: parseShortcut(input.shortcut),
    title: parseTitle(input.title),
    body: parseBody(input.body),
    created_by: input.by.kind === 'operator' ? input.by.operatorId : null,
    created_at: now,
    updated_at: now,
  };
  await inTransaction(ctx.store, async (tx) => {
    if ((await insertCannedResponse(tx.db, record)) === SHORTCUT_TAKEN) throw shortcutTaken(record.shortcut);
    await auditCannedResponse(tx.db, {
      by: input.by,
      action: 'canned-response.created',
      cannedResponseId: record.id,
      at: now,
    });
  });
  return presentCannedResponse(record);
}
