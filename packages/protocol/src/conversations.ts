import { z } from 'zod';
import { ConversationId, ConversationStatus, MessageDto } from './frames-common.js';
import { StateVersion } from './operator-frames.js';

/** The lists of the console's inbox. */
export const ConversationView = z.enum(['waiting', 'mine', 'open', 'closed']);
/** A list of the inbox. */
export type ConversationView = z.infer<typeof ConversationView>;

/**
 * Where the visitor was when they started the chat, as their window reported it: the page (origin
 * and path, never the query or fragment), the browser's language and its IANA time zone. Personal:
 * sealed with the conversation's key.
 */
export const VisitorContext = z.object({
  pageUrl: z.string().url().max(2048).optional(),
  language: z.string().max(35).optional(),
  timeZone: z.string().max(64).optional(),
});
/** Where the visitor was. */
export type VisitorContext = z.infer<typeof VisitorContext>;

/** A conversation as the console lists it. */
export const ConversationSummaryDto = z.object({
  id: ConversationId,
  widgetId: z.string(),
  status: ConversationStatus,
  origin: z.enum(['chat', 'offline_message']),
  operatorId: z.string().nullable(),
  /** The contact's name when the visitor identified themselves or an operator named them. */
  contactName: z.string().nullable(),
  lastSeq: z.number().int().nonnegative(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  closedAt: z.number().int().nullable(),
  version: StateVersion,
});
/** A listed conversation. */
export type ConversationSummaryDto = z.infer<typeof ConversationSummaryDto>;

/** A page of a conversation list, newest change first; `nextCursor` fetches the next page. */
export const ConversationPageDto = z.object({
  conversations: z.array(ConversationSummaryDto),
  nextCursor: z.string().nullable(),
});
/** A page of conversations. */
export type ConversationPageDto = z.infer<typeof ConversationPageDto>;

/** A conversation with what the visitor panel shows. */
export const ConversationDetailDto = ConversationSummaryDto.extend({
  /** The privacy notice the visitor accepted, and when the server received the consent. */
  consent: z.object({ version: z.string(), at: z.number().int() }).nullable(),
  visitor: VisitorContext,
  contact: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
  /** The email left with an offline message. */
  offlineEmail: z.string().nullable(),
  rating: z.object({ score: z.number().int(), comment: z.string().nullable() }).nullable(),
  /** The visitor's IP address: only while the account shows IPs, and gone 24 hours after the start. */
  visitorIp: z.string().nullable(),
});
/** A conversation with its visitor panel. */
export type ConversationDetailDto = z.infer<typeof ConversationDetailDto>;

/** Messages of a conversation, notes included, oldest first; `hasMore` when older ones exist. */
export const TranscriptPageDto = z.object({
  messages: z.array(MessageDto),
  hasMore: z.boolean(),
});
/** A page of a transcript. */
export type TranscriptPageDto = z.infer<typeof TranscriptPageDto>;

/** A conversation found by search, with the number of its messages that hold every word. */
export const SearchHitDto = z.object({
  conversation: ConversationSummaryDto,
  matchingMessages: z.number().int().positive(),
});
/** A search result. */
export type SearchHitDto = z.infer<typeof SearchHitDto>;

/** What a search found, newest conversation first. */
export const SearchResultDto = z.object({ hits: z.array(SearchHitDto) });
/** What a search found. */
export type SearchResultDto = z.infer<typeof SearchResultDto>;
