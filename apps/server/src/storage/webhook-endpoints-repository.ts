import type { WebhookEvent } from '@plauder/protocol';
import type { Executor } from './schema.js';

/** A webhook endpoint of an account. */
export interface EndpointRow {
  id: string;
  accountId: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  secretVersion: number;
  createdAt: number;
  updatedAt: number;
}

type Row = {
  id: string;
  account_id: string;
  url: string;
  events: string;
  enabled: number;
  secret_version: number;
  created_at: number;
  updated_at: number;
};

function endpointOf(row: Row): EndpointRow {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    // Safe: written by insertEndpoint/updateEndpoint from parsed WebhookEvent arrays only.
    events: JSON.parse(row.events) as WebhookEvent[],
    enabled: Number(row.enabled) === 1,
    secretVersion: Number(row.secret_version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The account's endpoints, oldest first. */
export async function selectEndpoints(db: Executor, accountId: string): Promise<EndpointRow[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(endpointOf);
}

/** One endpoint of the account; another account's answers as none. */
export async function findEndpoint(
  db: Executor,
  where: { accountId: string; id: string },
): Promise<EndpointRow | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.id)
    .executeTakeFirst();
  return row ? endpointOf(row) : undefined;
}

/** How many endpoints the account has. */
export async function countEndpoints(db: Executor, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertEndpoint(
  db: Executor,
  input: {
    id: string;
    accountId: string;
    url: string;
    events: readonly WebhookEvent[];
    enabled: boolean;
    createdBy: string | null;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      id: input.id,
      account_id: input.accountId,
      url: input.url,
      events: JSON.stringify(input.events),
      enabled: input.enabled ? 1 : 0,
      secret_version: 1,
      created_by: input.createdBy,
      created_at: input.now,
      updated_at: input.now,
    })
    .execute();
}

/** Changes an endpoint of the account; false when it has none by that id. */
export async function updateEndpoint(
  db: Executor,
  input: {
    accountId: string;
    id: string;
    url?: string;
    events?: readonly WebhookEvent[];
    enabled?: boolean;
    nextSecret?: boolean;
    now: number;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      ...(input.url === undefined ? {} : { url: input.url }),
      ...(input.events === undefined ? {} : { events: JSON.stringify(input.events) }),
      ...(input.enabled === undefined ? {} : { enabled: input.enabled ? 1 : 0 }),
      ...(input.nextSecret ? { secret_version: eb('secret_version', '+', 1) } : {}),
      updated_at: input.now,
    }))
    .where('account_id', '=', input.accountId)
    .where('id', '=', input.id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Removes an endpoint of the account; false when it has none by that id. */
export async function deleteEndpoint(db: Executor, where: { accountId: string; id: string }): Promise<boolean> {
  const result = await db
    .deleteFrom('webhook_endpoints')
    .where('account_id', '=', where.accountId)
    .where('id', '=', where.id)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
