import { randomUUID } from 'node:crypto';
import type { WebhookEvent } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { insertDeliveries } from '../../storage/deliveries-repository.js';
import { selectEndpoints } from '../../storage/webhook-endpoints-repository.js';
import { activeFunctions } from '../functions/account-functions.js';

/** The events an email to the operators goes out for while `email` runs (a transcript is requestTranscript's). */
const EMAIL_EVENTS: ReadonlySet<WebhookEvent> = new Set(['offline_message.received']);

/** Where an account's events go: whether email runs, and the endpoints that take events while webhooks run. */
interface Routes {
  readonly readAt: number;
  readonly email: boolean;
  readonly endpoints: readonly { id: string; events: ReadonlySet<string> }[];
}

/**
 * How long a node keeps an account's routes before reading them again. A change on this node forgets
 * them at once (forgetDeliveryRoutes); another node's change is seen within this time. Whatever is
 * queued meanwhile is checked again when it is sent, so a function turned off sends nothing more.
 */
const ROUTES_TTL_MS = 2_000;

const routesByContext = new WeakMap<Context, Map<string, Routes>>();
const wakers = new WeakMap<Context, () => void>();

/** Forgets the account's routes on this node: after a function, plan or endpoint change. */
export function forgetDeliveryRoutes(ctx: Context, accountId: string): void {
  routesByContext.get(ctx)?.delete(accountId);
}

/** Tells this node's delivery worker that deliveries were queued, so it sends them now. */
export function wakeDeliveryWorker(ctx: Context): void {
  wakers.get(ctx)?.();
}

/** Lets the delivery worker of this context hear of new deliveries at once, instead of at its next poll. */
export function onDeliveriesQueued(ctx: Context, wake: (() => void) | undefined): void {
  if (wake) wakers.set(ctx, wake);
  else wakers.delete(ctx);
}

async function routesOf(ctx: Context, accountId: string): Promise<Routes> {
  let routes = routesByContext.get(ctx);
  if (!routes) {
    routes = new Map();
    routesByContext.set(ctx, routes);
  }
  const now = performance.now();
  const known = routes.get(accountId);
  if (known && now - known.readAt < ROUTES_TTL_MS) return known;
  const active = await activeFunctions(ctx, ctx.database.db, accountId);
  const endpoints = active.has('webhooks')
    ? (await selectEndpoints(ctx.database.db, accountId))
        .filter((endpoint) => endpoint.enabled)
        .map((endpoint) => ({ id: endpoint.id, events: new Set<string>(endpoint.events) }))
    : [];
  const fresh: Routes = { readAt: now, email: active.has('email'), endpoints };
  routes.set(accountId, fresh);
  return fresh;
}

/**
 * Whether the optional function `email` runs for the account, as this node last read it (at most
 * ROUTES_TTL_MS ago): what a visitor's window is told when it connects. Never throws: false when unsure.
 */
export async function emailRuns(ctx: Context, accountId: string): Promise<boolean> {
  try {
    return (await routesOf(ctx, accountId)).email;
  } catch {
    return false;
  }
}

/**
 * Queues the deliveries an event of a conversation makes, after the change it tells of committed: one
 * per endpoint of the account that takes the event while webhooks run, and an email for an offline
 * message while email runs. The rows hold references only; what is sent is
 * read when it is sent. A failure here is logged and never fails the chat change that was made.
 */
export async function queueDeliveries(
  ctx: Context,
  input: { accountId: string; event: WebhookEvent; conversationId: string; messageId?: string },
): Promise<void> {
  try {
    const routes = await routesOf(ctx, input.accountId);
    const targets: { fn: 'email' | 'webhooks'; endpointId: string | null }[] = [];
    for (const endpoint of routes.endpoints) {
      if (endpoint.events.has(input.event)) targets.push({ fn: 'webhooks', endpointId: endpoint.id });
    }
    if (EMAIL_EVENTS.has(input.event) && routes.email) {
      targets.push({ fn: 'email', endpointId: null });
    }
    if (targets.length === 0) return;
    const now = ctx.clock.now();
    await insertDeliveries(
      ctx.database.db,
      targets.map((target) => ({
        id: randomUUID(),
        accountId: input.accountId,
        fn: target.fn,
        event: input.event,
        endpointId: target.endpointId,
        conversationId: input.conversationId,
        messageId: input.messageId ?? null,
        now,
      })),
    );
    wakeDeliveryWorker(ctx);
  } catch (error) {
    ctx.logger.error(
      { err: error, accountId: input.accountId, event: input.event, conversationId: input.conversationId },
      'Could not queue the deliveries of an event',
    );
  }
}
