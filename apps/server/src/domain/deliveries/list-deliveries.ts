import { z } from 'zod';
import type { DeliveryDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { selectDeliveries, type DeliveryRow } from '../../storage/deliveries-repository.js';
import { AppError } from '../errors.js';
import { requireRole, type Principal } from '../principal.js';

/** The filters of the delivery log, as the query string gives them. */
export const DeliveryLogQuery = z
  .object({
    function: z.enum(['email', 'webhooks']).optional(),
    status: z.enum(['pending', 'delivered', 'failed', 'cancelled']).optional(),
    endpointId: z.string().max(100).optional(),
    /** The next page after the last one shown: deliveries made before its time (epoch ms)… */
    before: z.coerce.number().int().positive().optional(),
    /** …or at that time with an id before its id, since the deliveries of one event share their time. */
    beforeId: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict()
  .refine((query) => query.beforeId === undefined || query.before !== undefined, {
    message: 'beforeId goes with before',
    path: ['beforeId'],
  });
/** The filters of the delivery log. */
export type DeliveryLogQuery = z.infer<typeof DeliveryLogQuery>;

function present(row: DeliveryRow): DeliveryDto {
  return {
    id: row.id,
    function: row.function,
    event: row.event,
    endpointId: row.endpoint_id,
    conversationId: row.conversation_id,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.status === 'pending' ? Number(row.next_attempt_at) : null,
    lastCode: row.last_code === null ? null : Number(row.last_code),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

/** The account's delivery log (admin and up), newest first: every email and webhook call, and how it ended. */
export async function listDeliveries(ctx: Context, input: { by: Principal; query: unknown }): Promise<DeliveryDto[]> {
  requireRole(input.by, 'admin');
  const query = DeliveryLogQuery.safeParse(input.query);
  if (!query.success) {
    throw new AppError(
      'validation_failed',
      'Filter by function, status, endpointId, before (and beforeId) and limit',
      query.error.issues,
    );
  }
  const rows = await selectDeliveries(ctx.database.db, {
    accountId: input.by.accountId,
    ...(query.data.function === undefined ? {} : { fn: query.data.function }),
    ...(query.data.status === undefined ? {} : { status: query.data.status }),
    ...(query.data.endpointId === undefined ? {} : { endpointId: query.data.endpointId }),
    ...(query.data.before === undefined ? {} : { before: query.data.before }),
    ...(query.data.beforeId === undefined ? {} : { beforeId: query.data.beforeId }),
    limit: query.data.limit ?? 50,
  });
  return rows.map(present);
}
