import { z } from 'zod';

/** The name of the export.json format, in its `format` field. */
export const EXPORT_FORMAT = 'plauder-subject-export';
/** The version of the export.json format: raised when a field changes its meaning or goes. */
export const EXPORT_FORMAT_VERSION = 1;

/** The body of `POST /api/v1/exports`: the contact's email travels in a body, never in a URL. */
export const ExportByEmailRequest = z.object({ email: z.string().trim().toLowerCase().email().max(320) }).strict();
/** The body that asks for the export of the contact with an email. */
export type ExportByEmailRequest = z.infer<typeof ExportByEmailRequest>;

// A subject access export is a document for people: times are ISO 8601 in UTC, not epoch milliseconds.
const Time = z.iso.datetime();

/** A file of a conversation: its entry in export.json, and where its decrypted bytes are in the archive. */
export const ExportedAttachment = z
  .object({
    name: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int().nonnegative(),
    sentAt: Time,
    /**
     * `attachments/<conversationId>/<attachmentId>-<safe file name>`; null when the file store had lost
     * the file (the server logs it as an error).
     */
    path: z.string().nullable(),
  })
  .strict();
/** A file in an export. */
export type ExportedAttachment = z.infer<typeof ExportedAttachment>;

/** One message: who wrote it, when, and what. A file's message text is the file name. */
export const ExportedMessage = z
  .object({
    at: Time,
    author: z.enum(['visitor', 'operator', 'system']),
    /** The operator's display name, on their messages. */
    operatorName: z.string().optional(),
    /** `note`: an internal note of the operators, which the visitor never saw in the chat. */
    kind: z.enum(['text', 'note']),
    text: z.string(),
    attachment: ExportedAttachment.optional(),
  })
  .strict();
/** A message in an export. */
export type ExportedMessage = z.infer<typeof ExportedMessage>;

/** A contact with every field kept about them. */
export const ExportedContact = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    /** The operators' notes about the contact; left out of the visitor's own export. */
    notes: z.string().nullable().optional(),
    createdAt: Time,
    updatedAt: Time,
  })
  .strict();
/** A contact in an export. */
export type ExportedContact = z.infer<typeof ExportedContact>;

/** A conversation with everything kept about it, its messages oldest first. */
export const ExportedConversation = z
  .object({
    id: z.string(),
    contactId: z.string().nullable(),
    widgetId: z.string(),
    status: z.enum(['waiting', 'open', 'closed']),
    origin: z.enum(['chat', 'offline_message']),
    createdAt: Time,
    firstResponseAt: Time.nullable(),
    closedAt: Time.nullable(),
    /** The version of the privacy notice consented to, and when the consent arrived. */
    consent: z.object({ version: z.string(), at: Time }).strict().nullable(),
    /** The pseudonymous browser that chatted: an id and when it was seen. */
    visitor: z.object({ id: z.string(), firstSeenAt: Time, lastSeenAt: Time }).strict().nullable(),
    /** The page, language and time zone the chat window reported at the start. */
    visitorContext: z
      .object({ pageUrl: z.string().optional(), language: z.string().optional(), timeZone: z.string().optional() })
      .strict(),
    /** The email left with an offline message. */
    offlineEmail: z.string().nullable(),
    rating: z.object({ score: z.number().int(), comment: z.string().nullable() }).strict().nullable(),
    /** Only while it is still stored: an IP address is gone 24 hours after the start. */
    visitorIp: z.string().nullable(),
    messages: z.array(ExportedMessage),
  })
  .strict();
/** A conversation in an export. */
export type ExportedConversation = z.infer<typeof ExportedConversation>;

/** export.json: everything an account keeps about one data subject (GDPR Art. 15). */
export const ExportDocument = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    formatVersion: z.literal(EXPORT_FORMAT_VERSION),
    exportedAt: Time,
    account: z.object({ name: z.string() }).strict(),
    /** `contact`: asked for by the account (with internal notes); `visitor`: by the visitor in the chat window. */
    scope: z.enum(['contact', 'visitor']),
    /** Whether the operators' internal notes (note messages, contact notes) are in it. */
    internalNotes: z.boolean(),
    contacts: z.array(ExportedContact),
    conversations: z.array(ExportedConversation),
  })
  .strict();
/** The export.json of a subject access export. */
export type ExportDocument = z.infer<typeof ExportDocument>;

/** What an export holds, counted. */
export const ExportCounts = z.object({
  contacts: z.number().int().nonnegative(),
  conversations: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
  attachments: z.number().int().nonnegative(),
});
/** What an export holds, counted. */
export type ExportCounts = z.infer<typeof ExportCounts>;
