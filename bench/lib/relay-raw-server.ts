/**
 * The raw relay of the relay bench, run as a child process: the least a WebSocket server must do to
 * carry a chat message from a visitor to an operator. An operator socket registers under an id
 * (`/operator?id=N`); a visitor socket (`/visitor?operator=N`) has every text frame forwarded verbatim
 * to that operator and answered with a one-byte ack. No parsing, no storage, no routing. Every socket
 * gets a one-byte welcome, so a client knows the server holds it. Prints `listening PORT` on stdout.
 */
import { WebSocketServer, type WebSocket } from 'ws';

const operators = new Map<string, WebSocket>();
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
        operators.get(operatorId)?.send(data, { binary: isBinary });
        ws.send('a');
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
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.exit(0));
  });
}
