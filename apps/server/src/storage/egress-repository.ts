import type { Executor } from './schema.js';

/** Counts one refused outbound call of an account on its UTC day, for its function and host. */
export async function countEgressRefusal(
  db: Executor,
  input: { accountId: string; fn: string; host: string; at: number },
): Promise<void> {
  const day = new Date(input.at).toISOString().slice(0, 10);
  await db
    .insertInto('egress_refusals')
    .values({ account_id: input.accountId, day, function: input.fn, host: input.host, count: 1, last_at: input.at })
    .onConflict((oc) =>
      oc.columns(['account_id', 'day', 'function', 'host']).doUpdateSet((eb) => ({
        count: eb('egress_refusals.count', '+', 1),
        last_at: input.at,
      })),
    )
    .execute();
}

/** Refused calls per account, function and host since `since` (a UTC day), newest day first. */
export async function selectEgressRefusals(
  db: Executor,
  where: { accountId?: string; since: string },
): Promise<{ accountId: string; day: string; fn: string; host: string; count: number; lastAt: number }[]> {
  let query = db.selectFrom('egress_refusals').selectAll().where('day', '>=', where.since);
  if (where.accountId !== undefined) query = query.where('account_id', '=', where.accountId);
  const rows = await query.orderBy('day', 'desc').orderBy('host').execute();
  return rows.map((row) => ({
    accountId: row.account_id,
    day: row.day,
    fn: row.function,
    host: row.host,
    count: Number(row.count),
    lastAt: Number(row.last_at),
  }));
}
