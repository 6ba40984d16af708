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
import { VisitorContext } from './conversations.js';

/**
 * Frames of the visitor socket (`/ws/v1/visitor?token=…`). The server checks the body length
 * against the installation's limit; the schema's bound is the protocol's hard ceiling.
 */
const Body = z
  .string()
  .min(1)
  .max(DEFAULT_MAX_MESSAGE_CHARS * 4);

/**
 * The visitor's consent to the privacy notice, given before the first message: `version` names the
 * notice's text the window showed (its language and revision, such as `en-1`). The server records it
 * with the conversation, with the time it arrived.
 */
export const Consent = z.object({ version: z.string().min(1).max(64) });
/** The visitor's consent to the privacy notice. */
export type Consent = z.infer<typeof Consent>;

/** What the chat window sends. */
export const VisitorClientFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conversation.start'),
    ref: z.string().max(64),
    clientMessageId: ClientMessageId.optional(),
    body: Body.optional(),
    /** Required when the widget's `privacy.optIn` is on (the default): `consent_required` otherwise. */
    consent: Consent.optional(),
    /** Where the visitor is: shown to the operators, sealed with the conversation. */
    context: VisitorContext.optional(),
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
    /** Required when the widget's `privacy.optIn` is on (the default). */
    consent: Consent.optional(),
  }),
  z
    .object({
      type: z.literal('contact.identify'),
      conversationId: ConversationId,
      name: z.string().trim().min(1).max(200).optional(),
      email: z.string().trim().email().max(320).optional(),
    })
    .refine((frame) => frame.name !== undefined || frame.email !== undefined, 'give a name, an email or both'),
  z.object({ type: z.literal('conversation.delete'), conversationId: ConversationId }),
  /** Asks for the transcript by email; `function_inactive` when the website does not send email. */
  z.object({
    type: z.literal('transcript.request'),
    conversationId: ConversationId,
    email: z.string().trim().email().max(320),
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
    /** Whether the window may offer the transcript by email (`transcript.request`): the account sends email. */
    transcriptByEmail: z.boolean().optional(),
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
  /**
   * The window's resume also says where the conversation stands now, so a window that comes back
   * after a reload or a lost socket shows its status, operator and queue place without waiting for
   * the next change.
   */
  ResumedFrame.extend({
    status: ConversationStatus,
    queuePosition: z.number().int().nonnegative().nullable(),
    operatorName: z.string().nullable(),
  }),
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
  z.object({ type: z.literal('contact.identified'), conversationId: ConversationId }),
  /** The transcript is on its way to the address given. */
  z.object({ type: z.literal('transcript.requested'), conversationId: ConversationId }),
  /** The conversation is erased on the server: its messages, files and key are gone. */
  z.object({ type: z.literal('conversation.deleted'), conversationId: ConversationId }),
  ErrorFrame,
  PongFrame,
]);
/** What the server sends to the chat window. */
export type VisitorServerFrame = z.infer<typeof VisitorServerFrame>;

/** The body of `POST /api/v1/visitor-sessions`. */
export const VisitorSessionRequest = z.object({
  publicKey: z.string().regex(/^pk_[A-Za-z0-9_-]{10,64}$/, 'a widget public key (pk_…)'),
  /**
   * The origin of the page that embeds the widget (`https://www.example.com`). Required when the
   * widget lists allowed origins: one not listed answers `403 origin_not_allowed`.
   */
  siteOrigin: z.string().max(300).optional(),
});
/** The body of `POST /api/v1/visitor-sessions`. */
export type VisitorSessionRequest = z.infer<typeof VisitorSessionRequest>;

/** The answer to `POST /api/v1/visitor-sessions`: a signed, expiring token for the visitor socket. */
export const VisitorSessionDto = z.object({
  token: z.string(),
  visitorId: z.string(),
  expiresAt: z.number().int(),
});
/** A visitor session. */
export type VisitorSessionDto = z.infer<typeof VisitorSessionDto>;
