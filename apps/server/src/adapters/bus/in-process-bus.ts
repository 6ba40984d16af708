import {
  assertChannelName,
  BusClosedError,
  deliver,
  encodeMessage,
  type Bus,
  type BusErrorReporter,
  type BusHandler,
  type BusOptions,
  type Subscription,
} from './bus.js';

/** The embedded-mode bus: fan-out inside this one process, for an installation of a single node. */
export class InProcessBus implements Bus {
  private readonly onError: BusErrorReporter;
  private readonly channels = new Map<string, Set<Subscription>>();
  /** Published messages not yet delivered, in publish order. */
  private queue: { channel: string; encoded: string }[] = [];
  private drainScheduled = false;
  private closed = false;

  constructor(options: BusOptions) {
    this.onError = options.onError;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new BusClosedError('publish');
    assertChannelName(channel);
    // Encoded even when nobody listens, so a message Redis could not carry fails here too.
    const encoded = encodeMessage(message);
    if (!this.channels.has(channel)) return;
    this.queue.push({ channel, encoded });
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      // setImmediate rather than a microtask: delivery comes after pending I/O, as it does from
      // Redis, so code that works here only because delivery beat the publisher's next `await`
      // fails here too; and handlers that publish cannot starve the event loop.
      setImmediate(() => this.drain());
    }
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new BusClosedError('subscribe');
    assertChannelName(channel);
    const subscription: Subscription = { handler, active: true };
    let subscriptions = this.channels.get(channel);
    if (!subscriptions) {
      subscriptions = new Set();
      this.channels.set(channel, subscriptions);
    }
    subscriptions.add(subscription);
    return async () => {
      subscription.active = false;
      const current = this.channels.get(channel);
      if (current?.delete(subscription) && current.size === 0) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subscriptions of this.channels.values()) {
      for (const subscription of subscriptions) subscription.active = false;
    }
    this.channels.clear();
    this.queue = [];
  }

  /** Delivers what was queued when it began; what handlers publish meanwhile waits for the next turn. */
  private drain(): void {
    this.drainScheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const { channel, encoded } of batch) {
      const subscriptions = this.channels.get(channel);
      if (subscriptions) deliver(subscriptions, { channel, encoded, onError: this.onError });
    }
  }
}
