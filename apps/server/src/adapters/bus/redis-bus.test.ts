import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { BusUnavailableError, type BusErrorSource } from './bus.js';
import { RedisBus } from './redis-bus.js';

/** Polls `condition` every few milliseconds until it holds, failing after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const redisUrl = process.env.REDIS_URL;

describe.runIf(redisUrl)('the Redis bus across nodes', () => {
  const url = redisUrl!;
  const opened: { close(): Promise<unknown> }[] = [];
  const errors: { error: unknown; source: BusErrorSource }[] = [];
  /** One plauder node's bus; nodes given the same prefix belong to one installation. */
  const node = (keyPrefix: string, options: { url?: string; requestTimeoutMs?: number } = {}) => {
    const bus = new RedisBus({
      url: options.url ?? url,
      keyPrefix,
      requestTimeoutMs: options.requestTimeoutMs,
      onError: (error, details) => errors.push({ error, source: details.source }),
    });
    opened.push(bus);
    return bus;
  };
  const admin = () => {
    const redis = new Redis(url);
    opened.push({ close: () => redis.quit() });
    return redis;
  };
  const installation = () => `test-${randomUUID()}:`;
  const channel = () => `conversation:${randomUUID()}`;
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
    errors.length = 0;
  });

  it('takes subscriptions that arrive while its connection is still starting', async () => {
    // As after a restart, when every client reconnects at once: subscribes keep coming while the
    // subscriber connection opens. None may fail.
    const bus = node(installation());
    const subscribed: Promise<unknown>[] = [];
    const started = Date.now();
    while (Date.now() - started < 150) {
      subscribed.push(bus.subscribe(channel(), () => {}));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.allSettled(subscribed);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('lets a visitor on one node and an operator on another hear each other', async () => {
    const prefix = installation();
    const [visitorNode, operatorNode] = [node(prefix), node(prefix)];
    const c = channel();
    const heardByVisitor: unknown[] = [];
    const heardByOperator: unknown[] = [];
    await visitorNode.subscribe(c, (message) => heardByVisitor.push(message));
    await operatorNode.subscribe(c, (message) => heardByOperator.push(message));
    await visitorNode.publish(c, { from: 'visitor', body: 'Hello?' });
    await operatorNode.publish(c, { from: 'operator', body: 'Hi, how can I help?' });
    await waitFor(() => heardByVisitor.length === 2 && heardByOperator.length === 2);
    expect(heardByOperator).toEqual([
      { from: 'visitor', body: 'Hello?' },
      { from: 'operator', body: 'Hi, how can I help?' },
    ]);
    expect(heardByVisitor).toEqual(heardByOperator);
  });

  it('keeps installations with different key prefixes apart on a shared Redis', async () => {
    const [mine, theirs] = [installation(), installation()];
    const c = channel();
    const received: unknown[] = [];
    await node(mine).subscribe(c, (message) => received.push(message));
    await node(theirs).publish(c, 'not for you');
    // Redis handles one command after the other: once this later message is in, the other one
    // would have been too.
    await node(mine).publish(c, 'for you');
    await waitFor(() => received.length === 1);
    expect(received).toEqual(['for you']);
  });

  it('subscribes a channel at Redis once per node, however many handlers it has there', async () => {
    const prefix = installation();
    const c = channel();
    const redis = admin();
    const subscribers = async () => {
      const reply = (await redis.pubsub('NUMSUB', prefix + c)) as [string, number];
      return reply[1];
    };
    const [a, b] = [node(prefix), node(prefix)];
    const first = await a.subscribe(c, () => {});
    const second = await a.subscribe(c, () => {});
    expect(await subscribers()).toBe(1);
    await b.subscribe(c, () => {});
    expect(await subscribers()).toBe(2);
    await first();
    expect(await subscribers()).toBe(2);
    await second();
    expect(await subscribers()).toBe(1);
  });

  it('resubscribes by itself when its connection to Redis is cut, and reports the outage once', async () => {
    const prefix = installation();
    const [a, b] = [node(prefix), node(prefix)];
    const c = channel();
    const received: unknown[] = [];
    await b.subscribe(c, (message) => received.push(message));
    const redis = admin();
    const clients = (await redis.client('LIST')) as string;
    const id = /^id=(\d+) .* name=(\S+)/m.exec(
      clients.split('\n').find((line) => line.includes(` name=${prefix}bus-subscriber `)) ?? '',
    )?.[1];
    expect(id).toBeDefined();
    await redis.client('KILL', 'ID', id!);
    // Published until one gets through: what is published while the node is cut off is lost.
    const publishing: Promise<void>[] = [];
    await waitFor(() => {
      publishing.push(a.publish(c, 'after the cut'));
      return received.length > 0;
    });
    await Promise.all(publishing);
    expect(received[0]).toBe('after the cut');
    const reports = errors.filter((e) => e.source === 'connection').map((e) => (e.error as Error).message);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/Lost the subscriber connection to Redis at .*; reconnecting/);
  });

  it('fails within its request timeout, naming the server but not the password, when Redis is unreachable', async () => {
    const bus = node(installation(), { url: 'redis://plauder:s3cret@127.0.0.1:1', requestTimeoutMs: 300 });
    const started = Date.now();
    const publishing = bus.publish(channel(), 'anyone?');
    await expect(publishing).rejects.toThrow(BusUnavailableError);
    await expect(publishing).rejects.toThrow(
      /^Redis at 127\.0\.0\.1:1 did not answer publish within 300 ms \(connect ECONNREFUSED 127\.0\.0\.1:1\)\. Check REDIS_URL/,
    );
    await expect(bus.subscribe(channel(), () => {})).rejects.toThrow(/did not answer subscribe within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
    const messages = errors.map((e) => String(e.error) + String((e.error as Error).cause));
    expect(messages.join('\n')).not.toContain('s3cret');
    // Several reconnect attempts failed by now; each connection reported its outage once.
    expect(errors.filter((e) => e.source === 'connection')).toHaveLength(2);
  });
});
