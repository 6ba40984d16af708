import diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/**
 * Watches this process's outbound TCP connections at the socket level (Node's `net.client.socket`
 * channel, which every client socket passes: fetch, pg, ioredis, SMTP alike), not by trusting any
 * guard of ours: each connection as `address:port` once it is made, and how many sockets were begun.
 */
export function watchOutboundConnections(): { connected: string[]; begun: () => number; stop: () => void } {
  const connected: string[] = [];
  let begun = 0;
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    begun += 1;
    socket.once('connect', () => connected.push(`${socket.remoteAddress}:${socket.remotePort}`));
  };
  diagnosticsChannel.subscribe('net.client.socket', onSocket);
  return {
    connected,
    begun: () => begun,
    stop: () => diagnosticsChannel.unsubscribe('net.client.socket', onSocket),
  };
}
