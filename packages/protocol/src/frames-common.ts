import { z } from 'zod';
import { AttachmentDto } from './attachments.js';
import { ErrorCode } from './errors.js';

/** The version of the socket protocol; it is also part of the socket paths (`/ws/v1/…`). */
export const PROTOCOL_VERSION = 1;

/** Default largest message body, in characters (an installation may lower or raise it). */
export const DEFAULT_MAX_MESSAGE_CHARS = 5000;

/** A client-generated message id: a UUID, so a resend after a lost ack is recognised. */
export const ClientMessageId = z.string().uuid();

/** A conversation id. */
export const ConversationId = z.string().uuid();

/** Who wrote a message. */
export const AuthorKind = z.enum(['visitor', 'operator', 'system']);
/** Who wrote a message. */
export type AuthorKind = z.infer<typeof AuthorKind>;

/** A message as both sides of a conversation see it; internal notes never reach the visitor. */
export const MessageDto = z.object({
  id: z.string(),
  conversationId: ConversationId,
  seq: z.number().int().positive(),
  authorKind: AuthorKind,
  kind: z.enum(['text', 'note']),
  body: z.string(),
  createdAt: z.number().int(),
  /** The operator's display name, for operator messages. */
  operatorName: z.string().optional(),
  /** The file this message carries (its body is then the file name); fetched by id over HTTP. */
  attachment: AttachmentDto.optional(),
});
/** A message. */
export type MessageDto = z.infer<typeof MessageDto>;

/** The state of a conversation. */
export const ConversationStatus = z.enum(['waiting', 'open', 'closed']);
/** The state of a conversation. */
export type ConversationStatus = z.infer<typeof ConversationStatus>;

/** An error frame: the code is stable; `ref` names the frame it answers (its clientMessageId or ref). */
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: ErrorCode,
  message: z.string(),
  ref: z.string().optional(),
});
/** An error frame. */
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** Throws at compile time when a switch over a union misses a case. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

/** Frames both sockets share, client → server. */
export const TypingClientFrame = z.object({
  type: z.literal('typing'),
  conversationId: ConversationId,
  isTyping: z.boolean(),
});
/** Marks a conversation read up to `seq`. */
export const ReadClientFrame = z.object({
  type: z.literal('read'),
  conversationId: ConversationId,
  seq: z.number().int().nonnegative(),
});
/** Asks for everything after `sinceSeq`, then live events. */
export const ResumeClientFrame = z.object({
  type: z.literal('resume'),
  conversationId: ConversationId,
  sinceSeq: z.number().int().nonnegative(),
});
/** An application-level ping. */
export const PingFrame = z.object({ type: z.literal('ping') });

/** Frames both sockets share, server → client: a message is stored (after its commit). */
export const MessageAckFrame = z.object({
  type: z.literal('message.ack'),
  clientMessageId: ClientMessageId,
  conversationId: ConversationId,
  messageId: z.string(),
  seq: z.number().int().positive(),
});
export type MessageAckFrame = z.infer<typeof MessageAckFrame>;
/** A message was added to a conversation. */
export const MessageCreatedFrame = z.object({ type: z.literal('message.created'), message: MessageDto });
/** A resume has replayed everything up to `lastSeq`. */
export const ResumedFrame = z.object({
  type: z.literal('resumed'),
  conversationId: ConversationId,
  lastSeq: z.number().int().nonnegative(),
});
/** The answer to a ping. */
export const PongFrame = z.object({ type: z.literal('pong') });
