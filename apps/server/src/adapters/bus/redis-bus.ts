import { Redis } from 'ioredis';
import {
  assertChannelName,
  BusClosedError,
  BusUnavailableError,
  deliver,
  encodeMessage,
  type Bus,
  type BusErrorReporter,
  type BusHandler,
  type BusOptions,
  type Subscription,
} from './bus.js';

/** What a Redis bus takes besides the error reporter. */
export interface RedisBusOptions extends BusOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Put before every channel name at Redis, so installations sharing a Redis do not hear each other. */
  keyPrefix?: string;
  /**
   * How long `publish` and `subscribe` wait for Redis before rejecting with `BusUnavailableError`.
   * The connections themselves keep reconnecting until `close`; a publish that timed out while
   * Redis was away may still go out, in order, once it is back.
   */
  requestTimeoutMs?: number;
}

/** The prefix of an installation that does not choose one. */
export const DEFAULT_KEY_PREFIX = 'plauder:';
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Reconnect attempts back off by 100 ms each, to at most this. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/** The handlers of one channel on this node, and the SUBSCRIBE that all of them wait for. */
interface ChannelState {
  readonly subscriptions: Set<Subscription>;
  readonly subscribed: Promise<unknown>;
}

/**
 * The scale-out bus: Redis pub/sub through two connections per node, one publishing and one
 * subscribed. A channel is subscribed at Redis once per node, however many handlers it has here,
 * and unsubscribed when its last handler goes. ioredis reconnects and resubscribes by itself.
 */
export class RedisBus implements Bus {
  private readonly onError: BusErrorReporter;
  private readonly keyPrefix: string;
  private readonly requestTimeoutMs: number;
  /** `host:port` of the server, for error messages: never the password. */
  private readonly server: string;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  /** Keyed by the channel name at Redis, prefix included. */
  private readonly channels = new Map<string, ChannelState>();
  /** The last connection error of each connection, to say why Redis did not answer. */
  private readonly lastError = new Map<Redis, Error>();
  private closing: Promise<void> | undefined;

  constructor(options: RedisBusOptions) {
    this.onError = options.onError;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.server = describeServer(options.url);
    const connection = (role: string) =>
      new Redis(options.url, {
        // No connection until the bus is first used: a CLI command that never publishes opens none.
        lazyConnect: true,
        connectTimeout: this.requestTimeoutMs,
        // Each command waits at most this long, also while queued for a connection that is down…
        commandTimeout: this.requestTimeoutMs,
        maxRetriesPerRequest: null,
        // …while the connection itself keeps trying, so the node recovers when Redis is back.
        retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
        connectionName: connectionName(this.keyPrefix, role),
        // No INFO ready check: a SUBSCRIBE sent while it runs goes out at once (Redis allows it while
        // loading), the INFO after it is refused in subscriber mode, and ioredis drops the connection
        // with every pending SUBSCRIBE. Pub/sub needs no loaded dataset to wait for.
        enableReadyCheck: false,
      });
    this.publisher = connection('publisher');
    this.subscriber = connection('subscriber');
    this.watch(this.publisher, 'publisher');
    this.watch(this.subscriber, 'subscriber');
    this.subscriber.on('message', (key: string, encoded: string) => this.receive(key, encoded));
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closing) throw new BusClosedError('publish');
    assertChannelName(channel);
    const encoded = encodeMessage(message);
    try {
      await this.publisher.publish(this.keyPrefix + channel, encoded);
    } catch (error) {
      throw this.failure('publish', { connection: this.publisher, error });
    }
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.closing) throw new BusClosedError('subscribe');
    assertChannelName(channel);
    const key = this.keyPrefix + channel;
    const subscription: Subscription = { handler, active: true };
    let state = this.channels.get(key);
    if (!state) {
      // Commands on one connection run in order, so this SUBSCRIBE lands after any UNSUBSCRIBE of
      // the channel sent before it: Redis ends up in the state of the last command sent.
      state = { subscriptions: new Set(), subscribed: this.subscriber.subscribe(key) };
      this.channels.set(key, state);
    }
    state.subscriptions.add(subscription);
    const unsubscribe = () => this.unsubscribe({ key, channel, subscription });
    try {
      await state.subscribed;
    } catch (error) {
      // Not awaited: an UNSUBSCRIBE would wait out the same timeout again. It never rejects.
      void unsubscribe();
      throw this.failure('subscribe', { connection: this.subscriber, error });
    }
    return unsubscribe;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const state of this.channels.values()) {
        for (const subscription of state.subscriptions) subscription.active = false;
      }
      this.channels.clear();
      await Promise.all([end(this.publisher), end(this.subscriber)]);
    })();
    return this.closing;
  }

  /** Stops delivery to one handler at once, and unsubscribes at Redis when it was the channel's last. */
  private async unsubscribe(options: { key: string; channel: string; subscription: Subscription }): Promise<void> {
    const { key, channel, subscription } = options;
    if (!subscription.active) return;
    subscription.active = false;
    const state = this.channels.get(key);
    if (!state?.subscriptions.delete(subscription) || state.subscriptions.size > 0) return;
    this.channels.delete(key);
    if (this.closing) return;
    try {
      await this.subscriber.unsubscribe(key);
    } catch (error) {
      if (this.closing) return;
      // Delivery to the handler has stopped, which is what the caller asked for; a subscription left
      // at Redis only brings messages that find no handler here and are dropped.
      this.onError(this.failure('unsubscribe', { connection: this.subscriber, error }), {
        source: 'connection',
        channel,
      });
    }
  }

  private receive(key: string, encoded: string): void {
    const state = this.channels.get(key);
    if (!state) return;
    const channel = key.slice(this.keyPrefix.length);
    try {
      JSON.parse(encoded);
    } catch (error) {
      // Only a foreign publisher on our prefix sends this: report it rather than hand handlers junk.
      this.onError(new Error(`A message on bus channel ${channel} is not JSON`, { cause: error }), {
        source: 'message',
        channel,
      });
      return;
    }
    deliver(state.subscriptions, { channel, encoded, onError: this.onError });
  }

  /** Reports each outage of a connection once (not every reconnect attempt), and remembers why. */
  private watch(connection: Redis, role: string): void {
    let reported = false;
    const report = (error: Error) => {
      if (reported || this.closing) return;
      reported = true;
      this.onError(
        new BusUnavailableError(
          `Lost the ${role} connection to Redis at ${this.server} (${error.message}); reconnecting. Until it is back, ${
            role === 'publisher'
              ? 'publishing waits and then fails'
              : 'this node receives none of the messages published meanwhile'
          }.`,
          { cause: error },
        ),
        { source: 'connection' },
      );
    };
    connection.on('error', (error: Error) => {
      this.lastError.set(connection, error);
      report(error);
    });
    connection.on('close', () => {
      // A server that closes the connection cleanly emits no error, only "close"; after an error,
      // "close" follows it and the error is the better reason.
      const reason = this.lastError.get(connection) ?? new Error('the connection was closed');
      this.lastError.set(connection, reason);
      report(reason);
    });
    connection.on('ready', () => {
      reported = false;
      this.lastError.delete(connection);
    });
  }

  private failure(
    operation: 'publish' | 'subscribe' | 'unsubscribe',
    options: { connection: Redis; error: unknown },
  ): Error {
    const { connection, error } = options;
    // The bus was closed under a pending command: that, not Redis, is why it failed.
    if (this.closing) return new BusClosedError(operation);
    const reason = error instanceof Error ? error.message : String(error);
    const why = this.lastError.get(connection)?.message;
    const message =
      reason === 'Command timed out'
        ? `Redis at ${this.server} did not answer ${operation} within ${this.requestTimeoutMs} ms${
            why ? ` (${why})` : ''
          }. Check REDIS_URL and that Redis is running and reachable.`
        : `Redis at ${this.server} failed ${operation}: ${reason}`;
    return new BusUnavailableError(message, { cause: error });
  }
}

/** `host:port` of a Redis URL; throws a message that shows the scheme at most, never credentials. */
function describeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('REDIS_URL is not a URL; expected redis://host:port or rediss://host:port');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`REDIS_URL is not a redis:// or rediss:// URL (got "${parsed.protocol}//…")`);
  }
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}

/** The name the connection shows in Redis's CLIENT LIST; Redis allows no spaces in it. */
function connectionName(keyPrefix: string, role: string): string {
  return `${keyPrefix}bus-${role}`.replace(/[^!-~]/g, '_');
}

/** Quits politely when connected (pending commands finish first), otherwise stops reconnecting. */
async function end(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // The connection broke while quitting: disconnecting below is all that is left to do.
    }
  }
  connection.disconnect();
}
