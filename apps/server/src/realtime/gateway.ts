import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Context } from '../context.js';
import { authenticateVisitor } from '../domain/visitors/start-visitor-session.js';
import { AppError } from '../domain/errors.js';
import { TokenBuckets } from './token-bucket.js';
import { VisitorConnection } from './visitor-connection.js';

/** How often every socket is pinged; one that has not answered the previous ping is dropped. */
export const PING_INTERVAL_MS = 30_000;

/** The real-time role of a node: the WebSocket endpoints on the HTTP server's upgrade requests. */
export interface Gateway {
  /** Open sockets on this node. */
  readonly size: number;
  /** Closes every socket (1001, going away) and stops accepting new ones. */
  close(): Promise<void>;
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  500: 'Internal Server Error',
};

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Attaches the socket endpoints (`/ws/v1/visitor`) to an HTTP server. */
export function attachGateway(server: Server, ctx: Context): Gateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: ctx.config.maxFrameBytes });
  const alive = new WeakSet<WebSocket>();
  const limits = {
    // A chat window sends a few frames a second at most; typing indicators are the busiest. Rates are
    // about real time, so they run on the wall clock, not on the (movable) business clock.
    socketLimits: new TokenBuckets({ capacity: 30, refillPerSecond: 10 }, () => performance.now()),
    visitorLimits: new TokenBuckets({ capacity: 60, refillPerSecond: 20 }, () => performance.now()),
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Until ws takes the socket over, a reset by the client must not become an uncaught exception.
    const onSocketError = (error: Error) => ctx.logger.debug({ err: error }, 'Socket reset during upgrade');
    socket.on('error', onSocketError);
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws/v1/visitor') {
        if (/^\/ws\/v\d+\//.test(url.pathname)) {
          refuse(socket, 400, 'unsupported_version', 'This server speaks socket protocol v1 (/ws/v1/…)');
        } else {
          refuse(socket, 404, 'route_not_found', `No socket at ${url.pathname}`);
        }
        return;
      }
      try {
        const visitor = await authenticateVisitor(ctx, url.searchParams.get('token') ?? '');
        socket.off('error', onSocketError);
        if (socket.destroyed) return;
        wss.handleUpgrade(request, socket, head, (ws) => {
          alive.add(ws);
          ws.on('pong', () => alive.add(ws));
          new VisitorConnection(ctx, ws, visitor, limits);
        });
      } catch (error) {
        if (error instanceof AppError) refuse(socket, 401, error.code, error.message);
        else {
          ctx.logger.error({ err: error }, 'Socket upgrade failed');
          refuse(socket, 500, 'internal_error', 'Something went wrong on our side');
        }
      }
    })();
  };
  server.on('upgrade', upgrade);

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, PING_INTERVAL_MS);
  pinger.unref();

  return {
    get size() {
      return wss.clients.size;
    },
    async close() {
      clearInterval(pinger);
      server.off('upgrade', upgrade);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
