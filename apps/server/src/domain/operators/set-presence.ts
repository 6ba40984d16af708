import type { Presence } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { setPresenceRow, type PresenceState } from '../../storage/presence-repository.js';
import { announce } from '../conversations/announce.js';
import { accountChannel, type AccountEvent } from '../conversations/events.js';
import { handBackConversations } from '../routing/hand-back.js';
import { routeAfterChange } from '../routing/route-waiting.js';

/**
 * Sets an operator's presence and capacity. Going offline hands their open conversations back to the
 * queue at once; going online (or taking more) lets routing give them waiting chats; away keeps what
 * they have and takes nothing new.
 */
export async function setPresence(
  ctx: Context,
  input: { accountId: string; operatorId: string; status?: Presence; capacity?: number },
): Promise<PresenceState> {
  const { accountId, operatorId } = input;
  const presence = await setPresenceRow(ctx.database.db, { ...input, now: ctx.clock.now() });
  const event: AccountEvent = { type: 'presence.changed', operatorId, status: presence.status };
  announce(ctx, accountChannel(accountId), event);
  if (presence.status === 'offline') {
    await handBackConversations(ctx, { accountId, operatorId, disconnectedBefore: ctx.clock.now() });
  }
  if (presence.status === 'online') await routeAfterChange(ctx, { accountId });
  return presence;
}
