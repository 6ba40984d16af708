import { randomUUID } from 'node:crypto';
import {
  WebhookEndpointChange,
  WebhookEndpointInput,
  WebhookEvent,
  type WebhookEndpointDto,
  type WebhookSecretDto,
} from '@plauder/protocol';
import type { z } from 'zod';
import type { Context } from '../../context.js';
import { lockAccount } from '../../storage/accounts-repository.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import {
  countEndpoints,
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  selectEndpoints,
  updateEndpoint,
  type EndpointRow,
} from '../../storage/webhook-endpoints-repository.js';
import { AppError, notFound } from '../errors.js';
import { actorOf, requireRole, type Principal } from '../principal.js';
import { forgetDeliveryRoutes } from './queue-deliveries.js';
import { checkWebhookUrl, type ResolveHost } from './webhook-url.js';
import { webhookSecret } from './webhook-secret.js';

/** The most endpoints one account may have. */
export const MAX_ENDPOINTS = 20;

/** An endpoint as the API shows it. */
function present(row: EndpointRow): WebhookEndpointDto {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, hint: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new AppError('validation_failed', hint, parsed.error.issues);
  return parsed.data;
}

/** The account's webhook endpoints (admin and up). */
export async function listEndpoints(ctx: Context, input: { by: Principal }): Promise<WebhookEndpointDto[]> {
  requireRole(input.by, 'admin');
  return (await selectEndpoints(ctx.database.db, input.by.accountId)).map(present);
}

/**
 * Adds a webhook endpoint (admin and up): its URL is checked (checkWebhookUrl: SSRF), its events
 * default to all. It may be added while the function is off; nothing is sent until webhooks run for
 * the account (activeFunctions). At most MAX_ENDPOINTS per account. Audited `webhook.created`.
 */
export async function createEndpoint(
  ctx: Context,
  input: { by: Principal; body: unknown; resolve?: ResolveHost },
): Promise<WebhookEndpointDto> {
  requireRole(input.by, 'admin');
  const body = parse(
    WebhookEndpointInput.strict(),
    input.body,
    `Send {"url": "https://…", "events": [${WebhookEvent.options.map((e) => `"${e}"`).join(', ')}]}`,
  );
  const url = await checkWebhookUrl(ctx.config, body.url, input.resolve);
  const { accountId } = input.by;
  const now = ctx.clock.now();
  const id = randomUUID();
  const row = await inTransaction(ctx.store, async (tx) => {
    // Held, so that two adds at once cannot both pass the count.
    await lockAccount(tx.db, accountId);
    if ((await countEndpoints(tx.db, accountId)) >= MAX_ENDPOINTS) {
      throw new AppError('conflict', `An account has at most ${MAX_ENDPOINTS} webhook endpoints: remove one first`);
    }
    await insertEndpoint(tx.db, {
      id,
      accountId,
      url: url.href,
      events: uniqueEvents(body.events ?? WebhookEvent.options),
      enabled: body.enabled ?? true,
      createdBy: input.by.kind === 'operator' ? input.by.operatorId : null,
      now,
    });
    await audit(tx.db, input.by, 'webhook.created', id, now);
    return findEndpoint(tx.db, { accountId, id });
  });
  forgetDeliveryRoutes(ctx, accountId);
  if (!row) throw new Error(`The webhook endpoint ${id} just added is not there`);
  return present(row);
}

/** Changes an endpoint's URL (checked again), events or whether it takes them. Audited `webhook.changed`. */
export async function changeEndpoint(
  ctx: Context,
  input: { by: Principal; id: string; body: unknown; resolve?: ResolveHost },
): Promise<WebhookEndpointDto> {
  requireRole(input.by, 'admin');
  const body = parse(WebhookEndpointChange.strict(), input.body, 'Send any of "url", "events" and "enabled"');
  const url = body.url === undefined ? undefined : await checkWebhookUrl(ctx.config, body.url, input.resolve);
  const { accountId } = input.by;
  const now = ctx.clock.now();
  const row = await inTransaction(ctx.store, async (tx) => {
    const changed = await updateEndpoint(tx.db, {
      accountId,
      id: input.id,
      ...(url === undefined ? {} : { url: url.href }),
      ...(body.events === undefined ? {} : { events: uniqueEvents(body.events) }),
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      now,
    });
    if (!changed) throw notFound('webhook endpoint', input.id);
    await audit(tx.db, input.by, 'webhook.changed', input.id, now);
    return findEndpoint(tx.db, { accountId, id: input.id });
  });
  forgetDeliveryRoutes(ctx, accountId);
  if (!row) throw notFound('webhook endpoint', input.id);
  return present(row);
}

/**
 * Removes an endpoint: it gets nothing more, its pending deliveries are cancelled when they come due,
 * and its log stays until it ages out. Audited `webhook.deleted`.
 */
export async function removeEndpoint(ctx: Context, input: { by: Principal; id: string }): Promise<void> {
  requireRole(input.by, 'admin');
  const { accountId } = input.by;
  const now = ctx.clock.now();
  await inTransaction(ctx.store, async (tx) => {
    if (!(await deleteEndpoint(tx.db, { accountId, id: input.id }))) throw notFound('webhook endpoint', input.id);
    await audit(tx.db, input.by, 'webhook.deleted', input.id, now);
  });
  forgetDeliveryRoutes(ctx, accountId);
}

/**
 * The endpoint's signing secret (admin and up), or a new one when `rotate` (audited
 * `webhook.secret_rotated`): the old secret signs nothing from then on.
 */
export async function endpointSecret(
  ctx: Context,
  input: { by: Principal; id: string; rotate?: boolean },
): Promise<WebhookSecretDto> {
  requireRole(input.by, 'admin');
  const { accountId } = input.by;
  const now = ctx.clock.now();
  if (input.rotate) {
    await inTransaction(ctx.store, async (tx) => {
      if (!(await updateEndpoint(tx.db, { accountId, id: input.id, nextSecret: true, now }))) {
        throw notFound('webhook endpoint', input.id);
      }
      await audit(tx.db, input.by, 'webhook.secret_rotated', input.id, now);
    });
  }
  const endpoint = await findEndpoint(ctx.database.db, { accountId, id: input.id });
  if (!endpoint) throw notFound('webhook endpoint', input.id);
  return {
    secret: await webhookSecret(ctx.store, { accountId, endpointId: endpoint.id, version: endpoint.secretVersion }),
  };
}

function uniqueEvents(events: readonly WebhookEvent[]): WebhookEvent[] {
  return WebhookEvent.options.filter((event) => events.includes(event));
}

async function audit(
  db: Parameters<typeof insertAuditEntry>[0],
  by: Principal,
  action: string,
  endpointId: string,
  at: number,
): Promise<void> {
  await insertAuditEntry(db, {
    accountId: by.accountId,
    ...actorOf(by),
    action,
    targetKind: 'webhook',
    targetIds: [endpointId],
    at,
  });
}
