import type { Context } from '../../context.js';

/**
 * Publishes an event after its change has committed, without waiting for the bus: the change is
 * stored, and whoever made it (a sender waiting for its ack, the routing sweep) goes on at once, also
 * while Redis is slow or away (a publish there waits up to its request timeout, 5 s). Events still
 * leave in the order they were announced: the bus takes each at once and sends them in order. A
 * failed publish does not undo or fail the change: it is logged, and clients on other nodes catch up
 * by resuming from their last seq.
 */
export function announce(ctx: Context, channel: string, event: unknown): void {
  ctx.bus.publish(channel, event).catch((error: unknown) => {
    ctx.logger.error({ err: error, channel }, 'Could not publish an event; clients catch up on resume');
  });
}
