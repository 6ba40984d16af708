import { describe, expect, it } from 'vitest';
import { createBus } from './create-bus.js';
import { InProcessBus } from './in-process-bus.js';
import { RedisBus } from './redis-bus.js';

describe('createBus', () => {
  const onError = () => {};

  it('makes the in-process bus when no Redis URL is configured', async () => {
    const bus = createBus({ redisUrl: undefined, onError });
    expect(bus).toBeInstanceOf(InProcessBus);
    await bus.close();
  });

  it('makes a Redis bus for a redis:// URL, connecting only once used', async () => {
    // Port 1 answers nothing: constructing the bus must not try it.
    const bus = createBus({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'acme:', onError });
    expect(bus).toBeInstanceOf(RedisBus);
    await bus.close();
  });

  it('rejects a Redis URL of another scheme without repeating its credentials', () => {
    expect(() => createBus({ redisUrl: 'http://admin:s3cret@redis.internal:6379', onError })).toThrow(
      'REDIS_URL is not a redis:// or rediss:// URL (got "http://…")',
    );
    expect(() => createBus({ redisUrl: 'not a url', onError })).toThrow(/REDIS_URL is not a URL/);
  });
});
