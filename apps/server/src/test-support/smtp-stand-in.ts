import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One email the stand-in took, as its envelope and parsed message. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Map<string, unknown>;
}

/** A mail server on this machine for tests: it takes every email, or hangs after the connection. */
export interface SmtpStandIn {
  /** `smtp://127.0.0.1:<port>`, as SMTP_URL. */
  readonly url: string;
  readonly received: ReceivedEmail[];
  /** Connections made to it, also those that sent nothing. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Starts a mail server on 127.0.0.1: with `hang`, one that accepts connections and never greets (a
 * server that hangs); otherwise an SMTP server (smtp-server, no TLS, no login) that keeps what it is
 * sent, parsed (mailparser).
 */
export async function startSmtpStandIn(options: { hang?: boolean } = {}): Promise<SmtpStandIn> {
  const received: ReceivedEmail[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  let server: Server | SMTPServer;
  let listening: Server;
  if (options.hang) {
    const hanging = createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server = hanging;
    listening = hanging;
  } else {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onConnect(_session, callback) {
        connections += 1;
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              headers: mail.headers,
            });
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    server = smtp;
    listening = smtp.server;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = listening.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
