import { z } from 'zod';
import {
  ClientMessageId,
  ConversationId,
  ConversationStatus,
  DEFAULT_MAX_MESSAGE_CHARS,
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

/**
 * Frames of the visitor socket (`/ws/v1/visitor?token=…`). The server checks the body length
 * against the installation's limit; the schema's bound is the protocol's hard ceiling.
 */
const Body = z
  .string()
  .min(1)
  .max(DEFAULT_MAX_MESSAGE_CHARS * 4);

/** What the chat window sends. */
export const VisitorClientFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conversation.start'),
    ref: z.string().max(64),
    clientMessageId: ClientMessageId.optional(),
    body: Body.optional(),
  }),
  z.object({
    type: z.literal('message.send'),
    conversationId: ConversationId,
    clientMessageId: ClientMessageId,
    body: Body,
  }),
  TypingClientFrame,
  ReadClientFrame,
  ResumeClientFrame,
  z.object({ type: z.literal('conversation.end'), conversationId: ConversationId }),
  z.object({
    type: z.literal('conversation.rate'),
    conversationId: ConversationId,
    rating: z.number().int().min(1).max(5),
    comment: z.string().max(2000).optional(),
  }),
  z.object({
    type: z.literal('offline-message.send'),
    clientMessageId: ClientMessageId,
    body: Body,
    email: z.string().trim().email().max(320).optional(),
  }),
  PingFrame,
]);
/** What the chat window sends. */
export type VisitorClientFrame = z.infer<typeof VisitorClientFrame>;

/** What the server sends to the chat window. */
export const VisitorServerFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    v: z.number().int(),
    visitorId: z.string(),
    limits: z.object({ maxMessageChars: z.number().int(), maxFrameBytes: z.number().int() }),
    /** Whether an operator is online now; when not, the window offers an offline message instead. */
    operatorsAvailable: z.boolean(),
  }),
  z.object({
    type: z.literal('conversation.started'),
    ref: z.string(),
    conversationId: ConversationId,
    status: ConversationStatus,
    queuePosition: z.number().int().nonnegative().nullable(),
  }),
  MessageAckFrame,
  MessageCreatedFrame,
  ResumedFrame,
  z.object({ type: z.literal('typing'), conversationId: ConversationId, isTyping: z.boolean() }),
  z.object({ type: z.literal('read'), conversationId: ConversationId, seq: z.number().int().nonnegative() }),
  z.object({
    type: z.literal('queue.position'),
    conversationId: ConversationId,
    position: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('conversation.assigned'), conversationId: ConversationId, operatorName: z.string() }),
  z.object({
    type: z.literal('conversation.closed'),
    conversationId: ConversationId,
    closedBy: z.enum(['visitor', 'operator', 'system']),
  }),
  z.object({ type: z.literal('conversation.rated'), conversationId: ConversationId }),
  z.object({ type: z.literal('offline-message.ack'), clientMessageId: ClientMessageId }),
  ErrorFrame,
  PongFrame,
]);
/** What the server sends to the chat window. */
export type VisitorServerFrame = z.infer<typeof VisitorServerFrame>;

/** The answer to `POST /api/v1/visitor-sessions`: a signed, expiring token for the visitor socket. */
export const VisitorSessionDto = z.object({
  token: z.string(),
  visitorId: z.string(),
  expiresAt: z.number().int(),
});
/** A visitor session. */
export type VisitorSessionDto = z.infer<typeof VisitorSessionDto>;
