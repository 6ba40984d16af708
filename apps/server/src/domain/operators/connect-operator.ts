import type { Context } from '../../context.js';
import {
  getPresence,
  refreshNodeSockets,
  registerSocket,
  unregisterSocket,
  type PresenceState,
} from '../../storage/presence-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { announce } from '../conversations/announce.js';
import { accountChannel, type AccountEvent } from '../conversations/events.js';
import { routeAfterChange } from '../routing/route-waiting.js';

/** An operator's socket, as presence and routing know it. */
export interface OperatorSocket {
  accountId: string;
  operatorId: string;
  /** Random per socket. */
  socketId: string;
}

/**
 * Records that an operator opened a socket on this node. Their first socket makes them reachable:
 * the others see their chosen presence, and routing may give them waiting chats.
 */
export async function connectOperator(ctx: Context, input: OperatorSocket): Promise<PresenceState> {
  const { accountId, operatorId } = input;
  const { first, presence } = await inTransaction(ctx.store, async (tx) => {
    const first = await registerSocket(tx.db, { ...input, nodeId: ctx.nodeId, now: ctx.clock.now() });
    return { first, presence: await getPresence(tx.db, { accountId, operatorId }) };
  });
  if (first) {
    const event: AccountEvent = { type: 'presence.changed', operatorId, status: presence.status };
    announce(ctx, accountChannel(accountId), event);
  }
  if (presence.status === 'online') await routeAfterChange(ctx, { accountId });
  return presence;
}

/**
 * Records that an operator's socket closed. With their last one gone they show as offline; their open
 * conversations stay theirs for the grace period (a reload or a short network loss), then go back to
 * the queue (see sweepRouting).
 */
export async function disconnectOperator(ctx: Context, input: OperatorSocket): Promise<void> {
  const now = ctx.clock.now();
  const last = await inTransaction(ctx.store, (tx) => unregisterSocket(tx.db, { ...input, now }));
  if (last) {
    const event: AccountEvent = { type: 'presence.changed', operatorId: input.operatorId, status: 'offline' };
    announce(ctx, accountChannel(input.accountId), event);
  }
}

/**
 * The heartbeat of a node's operator sockets (every SOCKET_HEARTBEAT_MS): they are seen now, so other
 * nodes keep counting them; rows another node removed during a stall of this one come back. A socket
 * that closed meanwhile (`isOpen` false afterwards) may have been written back after its own cleanup
 * removed it: it is removed again, or routing would count it for SOCKET_STALE_MS.
 */
export async function keepOperatorsConnected(
  ctx: Context,
  input: { sockets: readonly OperatorSocket[]; isOpen: (socket: OperatorSocket) => boolean },
): Promise<void> {
  const now = ctx.clock.now();
  const { sockets } = input;
  await inTransaction(ctx.store, (tx) => refreshNodeSockets(tx.db, { nodeId: ctx.nodeId, sockets, now }));
  for (const socket of sockets) if (!input.isOpen(socket)) await disconnectOperator(ctx, socket);
}
