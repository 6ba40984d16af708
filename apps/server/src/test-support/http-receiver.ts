import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an HTTP receiver took. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on this machine that keeps what it is sent and answers as the test says. */
export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** How it answers from now on: a status and a body; `hang` answers nothing. */
  answer(reply: { status: number; body?: string } | 'hang'): void;
  close(): Promise<void>;
}

/** Starts an HTTP receiver on 127.0.0.1 that answers 200 until told otherwise. */
export async function startHttpReceiver(
  respond?: (request: ReceivedRequest) => { status: number; body?: string } | undefined,
): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  let reply: { status: number; body?: string } | 'hang' = { status: 200 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      const answer = respond?.(entry) ?? reply;
      if (answer === 'hang') return;
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer(next) {
      reply = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
