import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Context } from '../context.js';
import { authenticateSession } from '../domain/auth/authenticate.js';
import { keepOperatorsConnected, type OperatorSocket } from '../domain/operators/connect-operator.js';
import { AppError } from '../domain/errors.js';
import { SOCKET_HEARTBEAT_MS } from '../domain/routing/route-waiting.js';
import { sweepRouting } from '../domain/routing/sweep-routing.js';
import { authenticateVisitor } from '../domain/visitors/start-visitor-session.js';
import { ACCOUNT_STATUS_MAX_AGE_MS, AccountStatuses } from './account-status.js';
import type { AcceptedSocket, ConnectionLimits, OpenConnection } from './connection.js';
import { OperatorConnection } from './operator-connection.js';
import { TokenBuckets } from './token-bucket.js';
import { VisitorConnection } from './visitor-connection.js';

/** How often every socket is pinged; one that has not answered the previous ping is dropped. */
export const PING_INTERVAL_MS = 30_000;

/** How long a graceful close waits for the frames in flight before it closes the sockets anyway. */
export const DRAIN_TIMEOUT_MS = 10_000;

/** The name of the operator session cookie (as the HTTP layer sets it). */
const SESSION_COOKIE = 'plauder_session';

/** The real-time role of a node: the WebSocket endpoints on the HTTP server's upgrade requests. */
export interface Gateway {
  /** Open sockets on this node. */
  readonly size: number;
  /** Runs the routing sweep now (the node also runs it every SOCKET_HEARTBEAT_MS). */
  sweep(): Promise<void>;
  /** Checks the session of every operator socket now (the node also does it every PING_INTERVAL_MS). */
  checkSessions(): Promise<void>;
  /**
   * Stops accepting sockets, lets every open one finish the frames it is running (their acks go out),
   * then closes them with 1001 (going away) so clients reconnect to another node.
   */
  close(): Promise<void>;
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

function refuse(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  options: { retryAfterSeconds?: number } = {},
): void {
  const body = JSON.stringify({ error: { code, message } });
  const retryAfter = options.retryAfterSeconds ? `Retry-After: ${options.retryAfterSeconds}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retryAfter}Connection: close\r\n\r\n${body}`,
  );
}

/** The subprotocol a client offers, with its visitor token as `token.<token>` beside it. */
export const SUBPROTOCOL = 'plauder.v1';
const TOKEN_PROTOCOL_PREFIX = 'token.';

/**
 * The visitor token of an upgrade: offered as a subprotocol `token.<token>` (the way to send it: a
 * header, which access logs do not keep), else the `token` query parameter.
 */
function visitorTokenOf(request: IncomingMessage, url: URL): string {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const carried = offered.find((protocol) => protocol.startsWith(TOKEN_PROTOCOL_PREFIX));
  return carried ? carried.slice(TOKEN_PROTOCOL_PREFIX.length) : (url.searchParams.get('token') ?? '');
}

/** The path and query of a request target, or undefined for one that is not a valid URL path. */
function parseUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Whether an operator socket may open from this Origin. Browsers always send Origin on a WebSocket
 * handshake, and a page of another site must not ride on the session cookie (cross-site WebSocket
 * hijacking): the origin must be the installation's public URL or the host the request was sent to.
 * A client without Origin is not a browser, and needed the cookie itself.
 */
export function originAllowed(request: IncomingMessage, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.origin === new URL(publicUrl).origin || url.host === request.headers.host;
}

/** Attaches the socket endpoints (`/ws/v1/visitor`, `/ws/v1/operator`) to an HTTP server. */
export function attachGateway(
  server: Server,
  ctx: Context,
  options: {
    /** Throws (`rate_limited`) when the upgrade's client asked for too many sockets; before any other check. */
    admitUpgrade: (request: IncomingMessage) => void;
    /** The client address of an upgrade request (behind trusted proxies, the forwarded one). */
    clientAddressOf: (request: IncomingMessage) => string;
  },
): Gateway {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.config.maxFrameBytes,
    // A client that offers subprotocols gets `plauder.v1` chosen, or a browser fails the connection.
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const alive = new WeakSet<WebSocket>();
  const connections = new Set<OpenConnection>();
  const operators = new Set<OperatorConnection>();
  let accepting = true;
  // A console or chat window sends a few frames a second at most; typing indicators are the busiest.
  // Rates are about real time, so they run on the wall clock, not on the (movable) business clock.
  const limits: ConnectionLimits = {
    socketLimits: new TokenBuckets({ capacity: 30, refillPerSecond: 10 }, () => performance.now()),
    personLimits: new TokenBuckets({ capacity: 60, refillPerSecond: 20 }, () => performance.now()),
  };
  // Per node, like the limits: what the visitor sockets check each frame against, and how they learn
  // of a termination made on any node.
  const accounts = new AccountStatuses(ctx, { maxAgeMs: ACCOUNT_STATUS_MAX_AGE_MS, now: () => performance.now() });

  const accept = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    open: (socket: AcceptedSocket) => OpenConnection,
  ) => {
    if (socket.destroyed || !accepting) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      const connection = open({ ws, stream: socket });
      connections.add(connection);
      ws.on('close', () => connections.delete(connection));
    });
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Until ws takes the socket over, a reset by the client must not become an uncaught exception.
    const onSocketError = (error: Error) => ctx.logger.debug({ err: error }, 'Socket reset during upgrade');
    socket.on('error', onSocketError);
    void (async () => {
      try {
        try {
          options.admitUpgrade(request);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          const { retryAfterSeconds } = (error.details ?? {}) as { retryAfterSeconds?: number };
          refuse(socket, 429, error.code, error.message, retryAfterSeconds ? { retryAfterSeconds } : {});
          return;
        }
        const url = parseUrl(request.url);
        if (!url) {
          refuse(socket, 400, 'bad_request', 'The request target is not a valid path');
          return;
        }
        if (url.pathname === '/ws/v1/visitor') {
          // A token of a terminated account still opens a socket: its window may read, end and erase its
          // conversations (P4 holds at any time), and the socket refuses everything else.
          const visitor = await authenticateVisitor(ctx, visitorTokenOf(request, url));
          socket.off('error', onSocketError);
          const clientAddress = options.clientAddressOf(request);
          accept(request, socket, head, (accepted) => {
            const connection = VisitorConnection.open(ctx, accepted, { visitor, clientAddress, limits, accounts });
            const unlisten = accounts.listen(visitor.accountId, connection);
            accepted.ws.on('close', unlisten);
            return connection;
          });
        } else if (url.pathname === '/ws/v1/operator') {
          if (!originAllowed(request, ctx.config.publicUrl)) {
            refuse(socket, 403, 'forbidden', "Operator sockets open only from the installation's own pages");
            return;
          }
          const sessionSecret = cookieValue(request.headers.cookie, SESSION_COOKIE);
          if (!sessionSecret) throw new AppError('unauthenticated', 'Not logged in; log in at POST /api/v1/auth/login');
          const { principal } = await authenticateSession(ctx, sessionSecret);
          socket.off('error', onSocketError);
          accept(request, socket, head, (accepted) => {
            const connection = OperatorConnection.open(ctx, accepted, { operator: principal, sessionSecret, limits });
            operators.add(connection);
            accepted.ws.on('close', () => operators.delete(connection));
            return connection;
          });
        } else if (/^\/ws\/v\d+\//.test(url.pathname)) {
          refuse(socket, 400, 'unsupported_version', 'This server speaks socket protocol v1 (/ws/v1/…)');
        } else {
          refuse(socket, 404, 'route_not_found', `No socket at ${url.pathname}`);
        }
      } catch (error) {
        if (error instanceof AppError) {
          refuse(socket, 401, error.code, error.message);
        } else {
          ctx.logger.error({ err: error }, 'Socket upgrade failed');
          refuse(socket, 500, 'internal_error', 'Something went wrong on our side');
        }
      }
    })().catch((error: unknown) => {
      ctx.logger.error({ err: error }, 'Socket upgrade failed');
      socket.destroy();
    });
  };
  server.on('upgrade', upgrade);

  // A session may expire, be logged out or lose its operator while its socket is open.
  const checkSessions = async (): Promise<void> => {
    for (const operator of [...operators]) {
      await operator
        .revalidate()
        .catch((error: unknown) => ctx.logger.warn({ err: error }, 'Could not check a session'));
    }
  };

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
    void checkSessions();
  }, PING_INTERVAL_MS);
  pinger.unref();

  let sweeping: Promise<void> | undefined;
  const sweep = (): Promise<void> => {
    // One sweep at a time per node; a slow one makes the next tick skip rather than pile up.
    sweeping ??= sweepRouting(ctx)
      .then((summary) => {
        if (summary.staleSockets + summary.handedBack > 0) ctx.logger.info(summary, 'Routing sweep');
      })
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'Routing sweep failed'))
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  };
  let beating: Promise<void> | undefined;
  const heartbeat = (): Promise<void> => {
    const live = new Map<OperatorSocket, OperatorConnection>();
    for (const operator of operators) {
      const socket = operator.liveSocket;
      if (socket) live.set(socket, operator);
    }
    beating ??= keepOperatorsConnected(ctx, {
      sockets: [...live.keys()],
      isOpen: (socket) => live.get(socket)?.liveSocket !== undefined,
    })
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'Operator socket heartbeat failed'))
      .finally(() => {
        beating = undefined;
      });
    return beating;
  };
  // The heartbeat runs on every tick, even while a slow sweep is still going: other nodes must keep
  // counting this node's operators.
  const sweeper = setInterval(() => {
    void heartbeat().then(() => sweep());
  }, SOCKET_HEARTBEAT_MS);
  sweeper.unref();

  return {
    get size() {
      return wss.clients.size;
    },
    sweep,
    checkSessions,
    async close() {
      accepting = false;
      clearInterval(pinger);
      clearInterval(sweeper);
      server.off('upgrade', upgrade);
      const open = [...connections];
      const timeout = () => new Promise<void>((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref());
      await Promise.race([Promise.all(open.map((connection) => connection.drain())), timeout()]);
      for (const ws of wss.clients) ws.terminate();
      // Presence is cleaned up before the database closes after us.
      await Promise.race([Promise.all(open.map((connection) => connection.disposed)), timeout()]);
      await beating;
      await sweeping;
      await accounts.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
