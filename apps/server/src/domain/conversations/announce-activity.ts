import type { Context } from '../../context.js';
import { announce } from './announce.js';
import { conversationChannel, type ConversationEvent } from './events.js';

/** Who is active in a conversation: its visitor, or an operator. */
export type Participant = { kind: 'visitor' } | { kind: 'operator'; operatorId: string };

/** Tells a conversation's other sockets that a participant started or stopped typing. Nothing is stored. */
export async function announceTyping(
  ctx: Context,
  input: { conversationId: string; by: Participant; isTyping: boolean },
): Promise<void> {
  const event: ConversationEvent = {
    type: 'typing',
    conversationId: input.conversationId,
    author: input.by.kind,
    ...(input.by.kind === 'operator' ? { operatorId: input.by.operatorId } : {}),
    isTyping: input.isTyping,
  };
  announce(ctx, conversationChannel(input.conversationId), event);
}

/** Tells a conversation's other sockets how far a participant has read. Nothing is stored. */
export async function announceRead(
  ctx: Context,
  input: { conversationId: string; by: Participant; seq: number },
): Promise<void> {
  const event: ConversationEvent = {
    type: 'read',
    conversationId: input.conversationId,
    reader: input.by.kind,
    seq: input.seq,
  };
  announce(ctx, conversationChannel(input.conversationId), event);
}
