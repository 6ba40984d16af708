import { createServer } from 'node:net';
import WebSocket from 'ws';
import { startChild, type Child } from './relay-processes.js';

/** What a frame on a visitor socket means to the load driver. */
export type VisitorFrameKind =
  | { kind: 'ack'; ref: string | undefined }
  | { kind: 'error'; code: string; ref: string | undefined }
  | { kind: 'other' };

/** One visitor socket with its open conversation, ready for `message.send` frames. */
export interface LoadVisitor {
  readonly ws: WebSocket;
  readonly conversationId: string;
}

/**
 * A relay under test, set up with its conversations: the server child, a visitor socket per
 * conversation, the operator sockets those conversations reach, and how to read each side's frames.
 */
export interface Target {
  readonly name: string;
  readonly child: Child;
  readonly visitors: readonly LoadVisitor[];
  readonly operators: readonly WebSocket[];
  /** Classifies a frame a visitor socket received. */
  visitorFrame(data: string): VisitorFrameKind;
  /** The body of a visitor's message carried by an operator frame; undefined for any other frame. */
  operatorBody(data: string): string | undefined;
  /**
   * Gets whatever `count` idle visitor sockets need (tokens) and returns the function that opens them
   * and resolves once the server greeted every one, so that only the sockets fall between two RSS readings.
   */
  prepareIdle(count: number): Promise<() => Promise<WebSocket[]>>;
  /** Closes every socket and stops the child. */
  close(): Promise<void>;
}

/** The text of a frame as ws hands it over (a Buffer with the default binaryType). */
export function frameText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}

/** The object a JSON text holds, or undefined when it holds something else or is no JSON. */
export function parseObject(data: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  // Safe: a non-null object from JSON.parse is a plain object whose fields are all unknown here.
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
}

/** A JSON object's field, or undefined when the text is no JSON object. */
export function jsonField(data: string, key: string): unknown {
  return parseObject(data)?.[key];
}

/** A field of an object, if `value` is one. */
export function fieldOf(value: unknown, key: string): unknown {
  // Safe: reading a field of any non-null object yields a value or undefined.
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Opens a client socket and resolves once the server sent a frame `isGreeting` accepts; rejects on
 * a refused upgrade, an error, or no greeting within `timeoutMs`.
 */
export function openSocket(
  url: string,
  options: { headers?: Record<string, string>; isGreeting: (data: string) => boolean; timeoutMs?: number },
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: options.headers ?? {}, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`No greeting on ${url.split('?')[0]} within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    const onMessage = (data: WebSocket.RawData) => {
      if (!options.isGreeting(frameText(data))) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(ws);
    };
    ws.on('message', onMessage);
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      reject(new Error(`The upgrade of ${url.split('?')[0]} was refused with ${response.statusCode}`));
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resolves with the first frame on `ws` that `match` accepts; rejects after `timeoutMs`. */
export function nextFrame(ws: WebSocket, match: (data: string) => boolean, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`No expected frame within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const text = frameText(data);
      if (!match(text)) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(text);
    };
    ws.on('message', onMessage);
  });
}

/** Runs `work` on every index from 0 to count − 1, `parallel` at a time; the results in index order. */
export async function inParallel<T>(
  count: number,
  parallel: number,
  work: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return results;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('No free port')),
      );
    });
  });
}

/** Closes client sockets and waits (up to 5 s) until every one is closed. */
export async function closeSockets(sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 5_000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close();
        }),
    ),
  );
}

/**
 * The baseline: the raw relay (relay-raw-server.ts) in a child process, with the same topology as the
 * Plauder side: `conversations` visitor sockets spread round robin over `operators` operator sockets.
 * `durable`: the relay stores every frame, flushed to disk, before it forwards and acks it.
 */
export async function startRawRelay(options: {
  conversations: number;
  operators: number;
  durable?: boolean;
}): Promise<Target> {
  const { child, readyLine } = await startChild({
    name: options.durable ? 'durable raw relay' : 'raw relay',
    script: 'bench/lib/relay-raw-server.ts',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(options.durable ? { RAW_RELAY_DURABLE: '1' } : {}),
    },
    ready: /^listening \d+$/,
    noteworthy: (line) => line.trim() !== '' && !line.startsWith('listening '),
  });
  const base = `ws://127.0.0.1:${readyLine.split(' ')[1]}`;
  const isGreeting = (data: string) => data === 'w';
  try {
    const operators = await inParallel(options.operators, 10, (i) =>
      openSocket(`${base}/operator?id=${i}`, { isGreeting }),
    );
    const visitors = await inParallel(options.conversations, 50, async (i) => ({
      ws: await openSocket(`${base}/visitor?operator=${i % options.operators}`, { isGreeting }),
      conversationId: `c${i}`,
    }));
    return {
      name: options.durable ? 'durable' : 'raw',
      child,
      visitors,
      operators,
      visitorFrame: (data) => (data === 'a' ? { kind: 'ack', ref: undefined } : { kind: 'other' }),
      operatorBody: (data) => {
        const body = jsonField(data, 'body');
        return typeof body === 'string' ? body : undefined;
      },
      prepareIdle: async (count) => () => inParallel(count, 50, () => openSocket(`${base}/idle`, { isGreeting })),
      async close() {
        await closeSockets([...visitors.map((v) => v.ws), ...operators]);
        await child.stop();
      },
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
