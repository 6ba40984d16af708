import type { InboxConversationDto, Presence } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { countWaitingAhead, findConversationState } from '../../storage/conversations-repository.js';
import { listAssigned, listWaiting } from '../../storage/routing-repository.js';
import { getPresence, listEffectivePresences, type PresenceState } from '../../storage/presence-repository.js';
import { SOCKET_STALE_MS } from '../routing/route-waiting.js';

/** How many waiting conversations an inbox shows at once, oldest first. */
export const INBOX_WAITING_LIMIT = 200;

/** What an operator's inbox opens with: their presence, what waits, what they have, who is there. */
export async function getInbox(
  ctx: Context,
  input: { accountId: string; operatorId: string },
): Promise<{
  presence: PresenceState;
  waiting: InboxConversationDto[];
  assigned: InboxConversationDto[];
  presences: { operatorId: string; status: Presence }[];
}> {
  const db = ctx.database.db;
  const presence = await getPresence(db, input);
  const seenSince = ctx.clock.now() - SOCKET_STALE_MS;
  const presences = await listEffectivePresences(db, { accountId: input.accountId, seenSince });
  const waiting = await listWaiting(db, { accountId: input.accountId, limit: INBOX_WAITING_LIMIT });
  const assigned = await listAssigned(db, input);
  return {
    presence,
    presences,
    waiting: waiting.map((c) => ({
      id: c.id,
      widgetId: c.widgetId,
      status: 'waiting',
      origin: c.origin,
      operatorId: null,
      lastSeq: c.lastSeq,
      createdAt: c.createdAt,
      version: c.stateVersion,
    })),
    assigned: assigned.map((c) => ({
      id: c.id,
      widgetId: c.widgetId,
      status: 'open',
      origin: c.origin,
      operatorId: input.operatorId,
      lastSeq: c.lastSeq,
      createdAt: c.createdAt,
      version: c.stateVersion,
    })),
  };
}

/**
 * Where a visitor's conversation stands: its status, its operator, its place in the queue, and its
 * state version (null for one erased meanwhile).
 */
export async function getQueueStanding(
  ctx: Context,
  input: { accountId: string; conversationId: string },
): Promise<{
  status: 'waiting' | 'open' | 'closed';
  operatorId: string | null;
  queuePosition: number | null;
  version: number | null;
}> {
  const state = await findConversationState(ctx.database.db, input);
  if (!state) return { status: 'closed', operatorId: null, queuePosition: null, version: null };
  const queuePosition =
    state.status === 'waiting' && state.origin === 'chat'
      ? 1 + (await countWaitingAhead(ctx.database.db, { ...input, createdAt: state.createdAt }))
      : null;
  return { status: state.status, operatorId: state.operatorId, queuePosition, version: state.stateVersion };
}
