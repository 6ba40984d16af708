import type { Selectable } from 'kysely';
import type { DeliveriesTable, Executor } from './schema.js';

/** A `deliveries` row as selected. */
export type DeliveryRow = Selectable<DeliveriesTable>;

/** Queues deliveries, each due at once. */
export async function insertDeliveries(
  db: Executor,
  rows: readonly {
    id: string;
    accountId: string;
    fn: 'email' | 'webhooks';
    event: string;
    endpointId: string | null;
    conversationId: string | null;
    messageId: string | null;
    now: number;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('deliveries')
    .values(
      rows.map((row) => ({
        id: row.id,
        account_id: row.accountId,
        function: row.fn,
        event: row.event,
        endpoint_id: row.endpointId,
        conversation_id: row.conversationId,
        message_id: row.messageId,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: row.now,
        locked_by: null,
        locked_until: null,
        last_code: null,
        last_error: null,
        created_at: row.now,
        finished_at: null,
      })),
    )
    .execute();
}

/** When the newest delivery of an event of a conversation was queued; undefined when none was. */
export async function newestDeliveryAt(
  db: Executor,
  where: { accountId: string; conversationId: string; event: string },
): Promise<number | undefined> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('account_id', '=', where.accountId)
    .where('conversation_id', '=', where.conversationId)
    .where('event', '=', where.event)
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

/**
 * Takes up to `limit` due deliveries for node `nodeId` until `now + leaseMs`, counting an attempt on
 * each. The update checks the hold again, so two nodes that read the same due rows take each once: the
 * second update finds it held.
 */
export async function claimDeliveries(
  db: Executor,
  input: { nodeId: string; now: number; leaseMs: number; limit: number },
): Promise<DeliveryRow[]> {
  const due = await db
    .selectFrom('deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', input.now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', input.now)]))
    .orderBy('next_attempt_at')
    .orderBy('created_at')
    .limit(input.limit)
    .execute();
  if (due.length === 0) return [];
  const rows = await db
    .updateTable('deliveries')
    .set((eb) => ({
      locked_by: input.nodeId,
      locked_until: input.now + input.leaseMs,
      attempts: eb('attempts', '+', 1),
    }))
    .where(
      'id',
      'in',
      due.map((row) => row.id),
    )
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', input.now)]))
    .returningAll()
    .execute();
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

/**
 * Renews this node's hold on a claimed delivery until `now + leaseMs`, right before an attempt; false
 * when the hold ran out and another node may have taken the delivery (which then makes the attempt).
 */
export async function renewDeliveryHold(
  db: Executor,
  input: { id: string; nodeId: string; now: number; leaseMs: number },
): Promise<boolean> {
  const result = await db
    .updateTable('deliveries')
    .set({ locked_until: input.now + input.leaseMs })
    .where('id', '=', input.id)
    .where('status', '=', 'pending')
    .where('locked_by', '=', input.nodeId)
    .where('locked_until', '>=', input.now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records how an attempt of a delivery this node holds ended; false when the node no longer held it. */
export async function endDeliveryAttempt(
  db: Executor,
  input: {
    id: string;
    nodeId: string;
    status: DeliveriesTable['status'];
    nextAttemptAt?: number;
    code: number | null;
    error: string | null;
    now: number;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('deliveries')
    .set({
      status: input.status,
      locked_by: null,
      locked_until: null,
      last_code: input.code,
      last_error: input.error,
      ...(input.nextAttemptAt === undefined ? {} : { next_attempt_at: input.nextAttemptAt }),
      finished_at: input.status === 'pending' ? null : input.now,
    })
    .where('id', '=', input.id)
    .where('locked_by', '=', input.nodeId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The account's delivery log, newest first (by time, then id), optionally of one function, endpoint or status. */
export async function selectDeliveries(
  db: Executor,
  where: {
    accountId: string;
    fn?: 'email' | 'webhooks';
    endpointId?: string;
    status?: DeliveriesTable['status'];
    /** Rows made before this time, or at it with an id before `beforeId`: newest-first pages. */
    before?: number;
    beforeId?: string;
    limit: number;
  },
): Promise<DeliveryRow[]> {
  let query = db.selectFrom('deliveries').selectAll().where('account_id', '=', where.accountId);
  if (where.fn !== undefined) query = query.where('function', '=', where.fn);
  if (where.endpointId !== undefined) query = query.where('endpoint_id', '=', where.endpointId);
  if (where.status !== undefined) query = query.where('status', '=', where.status);
  const { before, beforeId } = where;
  if (before !== undefined && beforeId !== undefined) {
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', before), eb.and([eb('created_at', '=', before), eb('id', '<', beforeId)])]),
    );
  } else if (before !== undefined) {
    query = query.where('created_at', '<', before);
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(where.limit).execute();
}

/** Removes finished deliveries of every account older than `before`; answers how many. */
export async function deleteFinishedDeliveries(db: Executor, before: number): Promise<number> {
  const result = await db
    .deleteFrom('deliveries')
    .where('status', '!=', 'pending')
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
