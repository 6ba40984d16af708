/**
 * The fan-out bus: how a change made on one node reaches the sockets of every node. The contract both
 * implementations keep (checked by `bus.contract.test.ts`):
 *
 * - Messages are JSON values. Each handler receives its own copy, decoded from JSON, as `unknown`
 *   (parse it with zod): a `Date` arrives as its ISO string, `undefined` properties are dropped.
 * - Delivery is asynchronous, never inside the call stack of `publish`.
 * - Every handler of a channel, on every node, receives every message published after its
 *   `subscribe` resolved, in the order each publisher published them; the handlers of one channel run
 *   one after the other. Across Redis this holds while the connection is up: pub/sub is at most once,
 *   and what is published while a node is cut off from Redis does not reach that node.
 * - A handler that throws (or rejects) is reported to `onError`; other handlers and later messages
 *   are delivered as usual.
 * - After its unsubscribe function resolved, a handler receives nothing more.
 * - After `close`, nothing is delivered, and `publish` and `subscribe` reject with `BusClosedError`.
 */
export interface Bus {
  /** Sends a JSON value to every handler of `channel` on every node; resolves once it is on its way. */
  publish(channel: string, message: unknown): Promise<void>;
  /** Calls `handler` with every later message of `channel`; resolves, once listening, to its unsubscribe function. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  /** Stops all delivery and releases the connections; idempotent. */
  close(): Promise<void>;
}

/**
 * Receives one message of a channel. What it returns is ignored, except that a promise is not
 * awaited (the next message does not wait for it) and its rejection goes to `onError`.
 */
export type BusHandler = (message: unknown) => unknown;

/** Where an error the bus cannot return to a caller came from. */
export type BusErrorSource = 'handler' | 'message' | 'connection';

/**
 * Receives the errors no caller can be given: a throwing handler, an undecodable message from
 * Redis, a lost connection. The composition root logs them; it must not throw.
 */
export type BusErrorReporter = (error: unknown, details: { source: BusErrorSource; channel?: string }) => void;

/** What every bus takes. */
export interface BusOptions {
  /** Required so that no error is swallowed: a bus has no logger of its own. */
  onError: BusErrorReporter;
}

/** `publish` or `subscribe` after `close`: a shutdown-order bug in the caller. */
export class BusClosedError extends Error {
  readonly code = 'bus_closed';
  constructor(operation: 'publish' | 'subscribe' | 'unsubscribe') {
    super(`Cannot ${operation}: the bus is closed. Close the bus only after everything that uses it has stopped.`);
    this.name = 'BusClosedError';
  }
}

/** Redis did not answer in time or refused a command; the message names the server, never its password. */
export class BusUnavailableError extends Error {
  readonly code = 'bus_unavailable';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}

/** Throws unless `channel` is a non-empty string, such as `conversation:<uuid>`. */
export function assertChannelName(channel: string): void {
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError(`A bus channel name must be a non-empty string such as "conversation:<uuid>"`);
  }
}

/**
 * Encodes a message as JSON, at publish time: later changes to the caller's object do not travel,
 * and a value JSON cannot carry (`undefined`, a function, a BigInt, a cycle) fails in the publisher.
 */
export function encodeMessage(message: unknown): string {
  let encoded: string | undefined;
  try {
    // Typed as string, JSON.stringify still returns undefined for undefined, functions and symbols.
    encoded = JSON.stringify(message);
  } catch (error) {
    throw new TypeError(`A bus message must be a JSON value: ${(error as Error).message}`, { cause: error });
  }
  if (encoded === undefined) throw new TypeError(`A bus message must be a JSON value (got ${typeof message})`);
  return encoded;
}

/** One handler's place on a channel; `active` turns false the moment it unsubscribes. */
export interface Subscription {
  readonly handler: BusHandler;
  active: boolean;
}

/**
 * Calls each still-active subscription with its own decoded copy of `encoded`, in order, reporting
 * what a handler throws or rejects with.
 */
export function deliver(
  subscriptions: Iterable<Subscription>,
  options: { channel: string; encoded: string; onError: BusErrorReporter },
): void {
  const { channel, encoded, onError } = options;
  // A snapshot: a handler subscribed by another handler starts with the next message.
  for (const subscription of [...subscriptions]) {
    if (!subscription.active) continue;
    try {
      // A fresh decode per handler: no handler can change what another one sees.
      const result = subscription.handler(JSON.parse(encoded));
      if (result instanceof Promise) result.catch((error: unknown) => onError(error, { source: 'handler', channel }));
    } catch (error) {
      onError(error, { source: 'handler', channel });
    }
  }
}
