import { z } from 'zod';
import {
  ClientMessageId,
  ConversationId,
  ConversationStatus,
  ErrorFrame,
  MessageAckFrame,
  MessageCreatedFrame,
  PingFrame,
  PongFrame,
  ReadClientFrame,
  ResumeClientFrame,
  ResumedFrame,
  TypingClientFrame,
} from './frames-common.js';

const Body = z.string().min(1).max(20_000);
const OperatorId = z.string().uuid();

/** An operator's availability. */
export const Presence = z.enum(['online', 'away', 'offline']);
/** An operator's availability. */
export type Presence = z.infer<typeof Presence>;

/**
 * Counts the changes of a conversation's status and operator (1 when it starts). A socket never sends
 * an inbox frame about a conversation whose version is below the last one it sent about it.
 */
export const StateVersion = z.number().int().positive();

/** A conversation as the inbox lists it. */
export const InboxConversationDto = z.object({
  id: ConversationId,
  widgetId: z.string(),
  status: ConversationStatus,
  /** `offline_message`: left while nobody was available; it is never routed, only taken by hand. */
  origin: z.enum(['chat', 'offline_message']),
  operatorId: z.string().nullable(),
  lastSeq: z.number().int().nonnegative(),
  createdAt: z.number().int(),
  version: StateVersion,
});
/** A conversation in the inbox. */
export type InboxConversationDto = z.infer<typeof InboxConversationDto>;

/** What the operator console sends on `/ws/v1/operator` (authenticated by the session cookie). */
export const OperatorClientFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('presence.set'),
    status: Presence,
    capacity: z.number().int().min(0).max(100).optional(),
  }),
  z.object({ type: z.literal('conversation.accept'), conversationId: ConversationId }),
  z.object({ type: z.literal('conversation.assign'), conversationId: ConversationId, operatorId: OperatorId }),
  z.object({ type: z.literal('conversation.transfer'), conversationId: ConversationId, operatorId: OperatorId }),
  z.object({ type: z.literal('conversation.close'), conversationId: ConversationId }),
  z.object({ type: z.literal('conversation.watch'), conversationId: ConversationId }),
  /** Stops following a watched conversation; one the operator holds is followed on. */
  z.object({ type: z.literal('conversation.unwatch'), conversationId: ConversationId }),
  z.object({
    type: z.literal('message.send'),
    conversationId: ConversationId,
    clientMessageId: ClientMessageId,
    body: Body,
    /** `note`: an internal note, seen by operators only. */
    kind: z.enum(['text', 'note']).default('text'),
  }),
  TypingClientFrame,
  ReadClientFrame,
  ResumeClientFrame,
  PingFrame,
]);
/** What the operator console sends. */
export type OperatorClientFrame = z.infer<typeof OperatorClientFrame>;

/** What the server sends to the operator console. */
export const OperatorServerFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    v: z.number().int(),
    operatorId: z.string(),
    presence: Presence,
    capacity: z.number().int(),
    /** The account's waiting conversations, oldest first (at most 200). */
    waiting: z.array(InboxConversationDto),
    /** This operator's open conversations; their events arrive on this socket without a watch. */
    assigned: z.array(InboxConversationDto),
    /** Every enabled operator of the account as colleagues see them; `presence.changed` follows. */
    presences: z.array(z.object({ operatorId: z.string(), status: Presence })),
  }),
  /** This operator's presence and capacity, after a `presence.set`. */
  z.object({ type: z.literal('presence'), status: Presence, capacity: z.number().int() }),
  /** Another operator's presence (or this one's, from another of their sockets) changed. */
  z.object({ type: z.literal('presence.changed'), operatorId: z.string(), status: Presence }),
  /** A conversation joined the queue: new, or handed back (`requeued`) by an operator who left. */
  z.object({ type: z.literal('inbox.waiting'), conversation: InboxConversationDto, requeued: z.boolean() }),
  z.object({
    type: z.literal('inbox.assigned'),
    conversationId: ConversationId,
    operatorId: z.string(),
    how: z.enum(['routed', 'accepted', 'assigned']),
    version: StateVersion,
  }),
  z.object({
    type: z.literal('inbox.transferred'),
    conversationId: ConversationId,
    fromOperatorId: z.string(),
    toOperatorId: z.string(),
    version: StateVersion,
  }),
  z.object({
    type: z.literal('inbox.closed'),
    conversationId: ConversationId,
    closedBy: z.enum(['visitor', 'operator', 'system']),
    /** A chat that no operator ever answered. */
    missed: z.boolean(),
    version: StateVersion,
  }),
  /** A visitor left an offline message: it waits in the inbox, unrouted. */
  z.object({ type: z.literal('inbox.offline-message'), conversation: InboxConversationDto }),
  /** The answer to `conversation.watch`: this socket now receives the conversation's events. */
  z.object({ type: z.literal('watching'), conversationId: ConversationId }),
  /** The answer to `conversation.unwatch`: no more of its events, unless the operator holds it. */
  z.object({ type: z.literal('unwatched'), conversationId: ConversationId }),
  MessageAckFrame,
  MessageCreatedFrame,
  /** A message of a conversation this socket follows was deleted by an admin: drop it from the transcript. */
  z.object({
    type: z.literal('message.deleted'),
    conversationId: ConversationId,
    messageId: z.string(),
    seq: z.number().int().positive(),
  }),
  ResumedFrame,
  z.object({
    type: z.literal('typing'),
    conversationId: ConversationId,
    author: z.enum(['visitor', 'operator']),
    operatorId: z.string().optional(),
    isTyping: z.boolean(),
  }),
  z.object({
    type: z.literal('read'),
    conversationId: ConversationId,
    reader: z.enum(['visitor', 'operator']),
    seq: z.number().int().nonnegative(),
  }),
  ErrorFrame,
  PongFrame,
]);
/** What the server sends to the operator console. */
export type OperatorServerFrame = z.infer<typeof OperatorServerFrame>;
