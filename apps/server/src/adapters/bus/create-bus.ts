import type { Bus, BusErrorReporter } from './bus.js';
import { InProcessBus } from './in-process-bus.js';
import { RedisBus } from './redis-bus.js';

/**
 * Makes the installation's bus: Redis pub/sub when a Redis URL is configured (several nodes),
 * otherwise the in-process bus (embedded mode). The composition root calls this once; nothing else
 * chooses.
 */
export function createBus(options: {
  redisUrl: string | undefined;
  keyPrefix?: string;
  onError: BusErrorReporter;
}): Bus {
  const { redisUrl, keyPrefix, onError } = options;
  return redisUrl === undefined ? new InProcessBus({ onError }) : new RedisBus({ url: redisUrl, keyPrefix, onError });
}
