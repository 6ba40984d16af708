import type { CannedResponseDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { listCannedResponses as listRecords } from '../../storage/canned-responses-repository.js';
import { requireRole, type Principal } from '../principal.js';
import { presentCannedResponse } from './canned-response.js';

/** The account's canned responses in shortcut order; every role may read them, to answer with them. */
export async function listCannedResponses(ctx: Context, input: { by: Principal }): Promise<CannedResponseDto[]> {
  requireRole(input.by, 'operator');
  const records = await listRecords(ctx.database.db, { accountId: input.by.accountId });
  return records.map(presentCannedResponse);
}
