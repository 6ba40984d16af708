import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusClosedError, type Bus, type BusOptions } from './bus.js';
import { InProcessBus } from './in-process-bus.js';
import { RedisBus } from './redis-bus.js';

/** Polls `condition` every few milliseconds until it holds, failing after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Lets whatever is in flight arrive: a marker published after it on a separate channel is delivered
 * after it (one publisher, publish order), so once the marker is in, the rest is too.
 */
async function settle(bus: Bus): Promise<void> {
  const channel = `settle:${randomUUID()}`;
  let arrived = false;
  const unsubscribe = await bus.subscribe(channel, () => (arrived = true));
  await bus.publish(channel, 'marker');
  await waitFor(() => arrived);
  await unsubscribe();
}

/** The behaviour every bus implementation must have (see the `Bus` interface). */
function busContract(name: string, makeBus: (options: BusOptions) => Bus): void {
  describe(`the bus contract: ${name}`, () => {
    let bus: Bus;
    let errors: { error: unknown; channel: string | undefined }[];
    const channel = () => `conversation:${randomUUID()}`;
    beforeEach(() => {
      errors = [];
      bus = makeBus({ onError: (error, details) => errors.push({ error, channel: details.channel }) });
    });
    afterEach(async () => {
      await bus.close();
    });

    it('delivers a message to every subscriber of the channel', async () => {
      const c = channel();
      const first: unknown[] = [];
      const second: unknown[] = [];
      await bus.subscribe(c, (message) => first.push(message));
      await bus.subscribe(c, (message) => second.push(message));
      await bus.publish(c, { type: 'message.created', body: 'hello' });
      await waitFor(() => first.length === 1 && second.length === 1);
      expect(first).toEqual([{ type: 'message.created', body: 'hello' }]);
      expect(second).toEqual(first);
    });

    it('delivers 1,000 messages in the order they were published', async () => {
      const c = channel();
      const received: unknown[] = [];
      await bus.subscribe(c, (message) => received.push(message));
      const sent = Array.from({ length: 1_000 }, (_, i) => i);
      await Promise.all(sent.map((i) => bus.publish(c, i)));
      await waitFor(() => received.length === sent.length);
      expect(received).toEqual(sent);
    });

    it('never delivers inside the call stack of publish', async () => {
      const c = channel();
      let publishing = false;
      const duringPublish: boolean[] = [];
      await bus.subscribe(c, () => duringPublish.push(publishing));
      publishing = true;
      const published = bus.publish(c, 'now?');
      publishing = false;
      await published;
      await waitFor(() => duringPublish.length === 1);
      expect(duringPublish).toEqual([false]);
    });

    it('keeps channels apart', async () => {
      const [a, b] = [channel(), channel()];
      const onA: unknown[] = [];
      const onB: unknown[] = [];
      await bus.subscribe(a, (message) => onA.push(message));
      await bus.subscribe(b, (message) => onB.push(message));
      await bus.publish(a, 'for a');
      await bus.publish(b, 'for b');
      await waitFor(() => onA.length === 1 && onB.length === 1);
      await settle(bus);
      expect(onA).toEqual(['for a']);
      expect(onB).toEqual(['for b']);
    });

    it('delivers nothing more to a handler once its unsubscribe resolved', async () => {
      const c = channel();
      const received: unknown[] = [];
      const unsubscribe = await bus.subscribe(c, (message) => received.push(message));
      await bus.publish(c, 1);
      await waitFor(() => received.length === 1);
      await unsubscribe();
      await unsubscribe(); // a second call is harmless
      await bus.publish(c, 2);
      await settle(bus);
      expect(received).toEqual([1]);
    });

    it('keeps delivering to the other handler of a channel when one of two unsubscribes', async () => {
      const c = channel();
      const leaving: unknown[] = [];
      const staying: unknown[] = [];
      const unsubscribe = await bus.subscribe(c, (message) => leaving.push(message));
      await bus.subscribe(c, (message) => staying.push(message));
      await unsubscribe();
      await bus.publish(c, 'still here');
      await waitFor(() => staying.length === 1);
      await settle(bus);
      expect(leaving).toEqual([]);
      expect(staying).toEqual(['still here']);
    });

    it('reports a throwing handler and goes on delivering to the others and later messages', async () => {
      const c = channel();
      const received: unknown[] = [];
      await bus.subscribe(c, () => {
        throw new Error('handler bug');
      });
      await bus.subscribe(c, async () => {
        throw new Error('async handler bug');
      });
      await bus.subscribe(c, (message) => received.push(message));
      await bus.publish(c, 1);
      await bus.publish(c, 2);
      await waitFor(() => received.length === 2 && errors.length === 4);
      expect(received).toEqual([1, 2]);
      expect(errors.map(({ error }) => (error as Error).message).sort()).toEqual([
        'async handler bug',
        'async handler bug',
        'handler bug',
        'handler bug',
      ]);
      expect(errors.every((e) => e.channel === c)).toBe(true);
    });

    it('gives every handler its own copy, so a change by one is invisible to the others', async () => {
      const c = channel();
      const seen: unknown[] = [];
      await bus.subscribe(c, (message) => {
        (message as { body: string }).body = 'changed';
      });
      await bus.subscribe(c, (message) => seen.push(message));
      const message = { body: 'original' };
      await bus.publish(c, message);
      message.body = 'changed by the publisher after publishing';
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([{ body: 'original' }]);
    });

    it('delivers messages as JSON: a date arrives as its ISO string, undefined properties are dropped', async () => {
      const c = channel();
      const seen: unknown[] = [];
      await bus.subscribe(c, (message) => seen.push(message));
      await bus.publish(c, { at: new Date(0), gone: undefined });
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([{ at: '1970-01-01T00:00:00.000Z' }]);
    });

    it('rejects a message JSON cannot carry, and an empty channel name', async () => {
      await expect(bus.publish(channel(), undefined)).rejects.toThrow(/must be a JSON value/);
      await expect(bus.publish(channel(), { id: 1n })).rejects.toThrow(/must be a JSON value/);
      await expect(bus.publish('', 'x')).rejects.toThrow(/non-empty string/);
      await expect(bus.subscribe('', () => {})).rejects.toThrow(/non-empty string/);
    });

    it('rejects publish and subscribe after close, and delivers nothing more', async () => {
      const c = channel();
      const received: unknown[] = [];
      await bus.subscribe(c, (message) => received.push(message));
      await bus.close();
      await bus.close(); // a second call is harmless
      await expect(bus.publish(c, 'late')).rejects.toThrow(BusClosedError);
      await expect(bus.publish(c, 'late')).rejects.toThrow(/bus is closed/);
      await expect(bus.subscribe(c, () => {})).rejects.toThrow(BusClosedError);
      expect(received).toEqual([]);
    });
  });
}

busContract('in-process', (options) => new InProcessBus(options));

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  // A fresh prefix per bus: Redis is shared with other test runs.
  busContract('Redis', (options) => new RedisBus({ ...options, url: redisUrl, keyPrefix: `test-${randomUUID()}:` }));
}
