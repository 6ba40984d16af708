import { AttachmentDto } from '@plauder/protocol';
import { z } from 'zod';

/** The bus channel of one conversation: its messages, typing, reads, closing. */
export function conversationChannel(conversationId: string): string {
  return `conversation:${conversationId}`;
}

/** The bus channel of one account's inbox: new, assigned and closed conversations. */
export function accountChannel(accountId: string): string {
  return `account:${accountId}`;
}

/**
 * The conversation's state version (see the 0006 migration) with the change an event tells of, or
 * when it was read. Each node publishes the changes it made, so events of two changes made on two
 * nodes may arrive in either order: a socket drops one older than what it has shown (ShownVersions).
 */
const version = z.number().int().positive();

/**
 * What travels on a conversation's channel between the nodes. A message's body travels sealed (as
 * stored), so no plaintext passes through Redis; each node opens it with the conversation key.
 */
export const ConversationEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message.created'),
    accountId: z.string(),
    conversationId: z.string(),
    messageId: z.string(),
    seq: z.number().int().positive(),
    authorKind: z.enum(['visitor', 'operator', 'system']),
    operatorId: z.string().nullable(),
    kind: z.enum(['text', 'note']),
    createdAt: z.number().int(),
    bodySealed: z.string(),
    /** The file the message carries; its name is the (sealed) body, never a field of its own. */
    attachment: AttachmentDto.optional(),
  }),
  /** An admin deleted one message (P4): consoles drop it; the visitor's window keeps its copy. */
  z.object({
    type: z.literal('message.deleted'),
    accountId: z.string(),
    conversationId: z.string(),
    messageId: z.string(),
    seq: z.number().int().positive(),
  }),
  z.object({
    type: z.literal('typing'),
    conversationId: z.string(),
    author: z.enum(['visitor', 'operator']),
    operatorId: z.string().optional(),
    isTyping: z.boolean(),
  }),
  z.object({
    type: z.literal('read'),
    conversationId: z.string(),
    reader: z.enum(['visitor', 'operator']),
    seq: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('conversation.closed'),
    conversationId: z.string(),
    closedBy: z.enum(['visitor', 'operator', 'system']),
    version,
  }),
  z.object({
    type: z.literal('conversation.assigned'),
    conversationId: z.string(),
    operatorId: z.string(),
    version,
  }),
  /** The conversation waits in the queue at this place (1 is next). */
  z.object({
    type: z.literal('queue.position'),
    conversationId: z.string(),
    position: z.number().int().positive(),
    version,
  }),
]);
/** An event of a conversation's channel. */
export type ConversationEvent = z.infer<typeof ConversationEvent>;

/** What travels on an account's inbox channel. */
export const AccountEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conversation.waiting'),
    conversationId: z.string(),
    widgetId: z.string(),
    origin: z.enum(['chat', 'offline_message']),
    /** True when an operator's conversation went back to the queue. */
    requeued: z.boolean(),
    lastSeq: z.number().int().nonnegative(),
    createdAt: z.number().int(),
    version,
  }),
  z.object({
    type: z.literal('conversation.assigned'),
    conversationId: z.string(),
    operatorId: z.string(),
    /** The operator who had it before a transfer; null when it came from the queue. */
    fromOperatorId: z.string().nullable(),
    how: z.enum(['routed', 'accepted', 'assigned', 'transferred']),
    version,
  }),
  z.object({
    type: z.literal('conversation.closed'),
    conversationId: z.string(),
    closedBy: z.enum(['visitor', 'operator', 'system']),
    missed: z.boolean(),
    version,
  }),
  z.object({
    type: z.literal('presence.changed'),
    operatorId: z.string(),
    status: z.enum(['online', 'away', 'offline']),
  }),
]);
/** An event of an account's inbox channel. */
export type AccountEvent = z.infer<typeof AccountEvent>;
