/**
 * The raw relay of the relay bench, run as a child process: the least a WebSocket server must do to
 * carry a chat message from a visitor to an operator. An operator socket registers under an id
 * (`/operator?id=N`); a visitor socket (`/visitor?operator=N`) has every text frame forwarded verbatim
 * to that operator and answered with a one-byte ack. No parsing, no storage (unless RAW_RELAY_DURABLE
 * is set, below), no routing. Every socket
 * gets a one-byte welcome, so a client knows the server holds it. Prints `listening PORT` on stdout.
 */
import { openSync, unlinkSync, write, fdatasync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

const operators = new Map<string, WebSocket>();

/**
 * RAW_RELAY_DURABLE=1: store, then forward. Frames are appended to a file and flushed with
 * fdatasync, as a group (what arrives during a flush waits for the next one), and each is forwarded
 * and acked only after its flush: the least a relay that never loses an acked frame must do.
 */
const durable = process.env.RAW_RELAY_DURABLE === '1';
const logFile = path.join(tmpdir(), `plauder-raw-relay-${process.pid}.log`);
const fd = durable ? openSync(logFile, 'a') : -1;
let waiting: { data: Buffer; deliver: () => void }[] = [];
let flushing = false;

function flush(): void {
  if (flushing || waiting.length === 0) return;
  flushing = true;
  const group = waiting;
  waiting = [];
  write(fd, Buffer.concat(group.map((frame) => frame.data)), (writeError) => {
    if (writeError) throw writeError;
    fdatasync(fd, (syncError) => {
      if (syncError) throw syncError;
      for (const frame of group) frame.deliver();
      flushing = false;
      flush();
    });
  });
}
// No maxPayload or compression options beyond ws's defaults: as plain as a relay gets.
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });

wss.on('connection', (ws, request) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname === '/operator') {
    const id = url.searchParams.get('id') ?? '';
    operators.set(id, ws);
    ws.on('close', () => {
      if (operators.get(id) === ws) operators.delete(id);
    });
  } else {
    // `/visitor?operator=N` relays; any other path is an idle socket that only holds its connection.
    const operatorId = url.pathname === '/visitor' ? url.searchParams.get('operator') : null;
    if (operatorId !== null) {
      ws.on('message', (data, isBinary) => {
        const deliver = () => {
          operators.get(operatorId)?.send(data, { binary: isBinary });
          ws.send('a');
        };
        if (!durable) return deliver();
        waiting.push({
          data: Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
          deliver,
        });
        flush();
      });
    }
  }
  ws.on('error', (error) => process.stderr.write(`raw relay: socket error ${error.message}\n`));
  ws.send('w');
});

wss.on('listening', () => {
  const address = wss.address();
  if (typeof address !== 'object' || address === null) throw new Error('The raw relay has no TCP address');
  process.stdout.write(`listening ${address.port}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (durable) unlinkSync(logFile);
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.exit(0));
  });
}
