import type { DeliveryDto, WebhookEndpointDto } from '@plauder/protocol';

/** A delivery's status, as the log's filter offers it. */
export type DeliveryStatus = DeliveryDto['status'];

/** How many deliveries the log shows at first, and adds with each "Older". */
export const DELIVERY_PAGE_SIZE = 50;

/** One request of the log: its filter, and the page (after the delivery made at `before` with id `beforeId`). */
export interface DeliveryQuery {
  status?: DeliveryStatus;
  before?: number;
  beforeId?: string;
  limit: number;
}

/** The address of one page of the delivery log (`GET /api/v1/deliveries`). */
export function deliveriesPath(query: DeliveryQuery): string {
  const params = new URLSearchParams();
  if (query.status) params.set('status', query.status);
  if (query.before !== undefined) params.set('before', String(query.before));
  if (query.beforeId !== undefined) params.set('beforeId', query.beforeId);
  params.set('limit', String(query.limit));
  return `/api/v1/deliveries?${params.toString()}`;
}

/**
 * The query of the page after `shown` (newest first): after its last delivery by time and id, since
 * the deliveries one event queues (one per endpoint) share their millisecond.
 */
export function olderQuery(filter: { status?: DeliveryStatus }, shown: readonly DeliveryDto[]): DeliveryQuery {
  const last = shown.at(-1);
  if (!last) return { ...filter, limit: DELIVERY_PAGE_SIZE };
  return { ...filter, before: last.createdAt, beforeId: last.id, limit: DELIVERY_PAGE_SIZE };
}

/** The log with an older page added below it: deliveries shown already are not repeated. */
export function appendOlder(shown: readonly DeliveryDto[], page: readonly DeliveryDto[]): DeliveryDto[] {
  const seen = new Set(shown.map((d) => d.id));
  return [...shown, ...page.filter((d) => !seen.has(d.id))];
}

const STATUS_TEXT: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** A delivery's status for the log and its filter. */
export function statusText(status: DeliveryStatus): string {
  return STATUS_TEXT[status];
}

/** The statuses the filter offers, in the order a delivery passes them. */
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed', 'cancelled'];

/** A delivery's optional function, as the log names it. */
export function functionText(fn: DeliveryDto['function']): string {
  return fn === 'email' ? 'Email' : 'Webhook';
}

/** The endpoint a webhook call went to: its URL, or a note once it was removed; '' for an email. */
export function endpointText(delivery: DeliveryDto, endpoints: readonly WebhookEndpointDto[]): string {
  if (delivery.endpointId === null) return '';
  return endpoints.find((e) => e.id === delivery.endpointId)?.url ?? 'A removed endpoint';
}

/** A time of the log, to the second: retries come 30 seconds apart at first. */
export function logTime(epochMs: number): string {
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
