import type { Context } from '../../context.js';

/**
 * Publishes an event after its change has committed. A failed publish does not undo or fail the
 * change: it is logged, and clients on other nodes catch up by resuming from their last seq.
 */
export async function announce(ctx: Context, channel: string, event: unknown): Promise<void> {
  try {
    await ctx.bus.publish(channel, event);
  } catch (error) {
    ctx.logger.error({ err: error, channel }, 'Could not publish an event; clients catch up on resume');
  }
}
