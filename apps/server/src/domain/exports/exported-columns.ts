import type { Schema } from '../../storage/schema.js';

/**
 * Where each column the data map marks `exported` appears in export.json, for the tables a contact's
 * or visitor's export reads ("[]" steps into every element of a list). A test holds it to the data
 * map both ways: every exported column of these tables is here, and nothing here is marked not
 * exported. Of `operators`, whose other exported columns belong to an operator's own export, only
 * the display name appears, as the author of their messages.
 */
export const EXPORTED_COLUMNS = {
  accounts: { name: 'account.name' },
  contacts: {
    id: 'contacts[].id',
    name_sealed: 'contacts[].name',
    email_sealed: 'contacts[].email',
    phone_sealed: 'contacts[].phone',
    notes_sealed: 'contacts[].notes',
    created_at: 'contacts[].createdAt',
    updated_at: 'contacts[].updatedAt',
  },
  visitors: {
    id: 'conversations[].visitor.id',
    created_at: 'conversations[].visitor.firstSeenAt',
    last_seen_at: 'conversations[].visitor.lastSeenAt',
  },
  conversations: {
    id: 'conversations[].id',
    widget_id: 'conversations[].widgetId',
    status: 'conversations[].status',
    origin: 'conversations[].origin',
    created_at: 'conversations[].createdAt',
    first_response_at: 'conversations[].firstResponseAt',
    closed_at: 'conversations[].closedAt',
    consent_version: 'conversations[].consent.version',
    consent_at: 'conversations[].consent.at',
    visitor_context_sealed: 'conversations[].visitorContext',
    visitor_email_sealed: 'conversations[].offlineEmail',
    rating: 'conversations[].rating.score',
    rating_comment_sealed: 'conversations[].rating.comment',
    visitor_ip_sealed: 'conversations[].visitorIp',
  },
  messages: {
    created_at: 'conversations[].messages[].at',
    author_kind: 'conversations[].messages[].author',
    kind: 'conversations[].messages[].kind',
    body_sealed: 'conversations[].messages[].text',
  },
  attachments: {
    file_name_sealed: 'conversations[].messages[].attachment.name',
    content_type: 'conversations[].messages[].attachment.contentType',
    size_bytes: 'conversations[].messages[].attachment.sizeBytes',
    created_at: 'conversations[].messages[].attachment.sentAt',
  },
  operators: { display_name_sealed: 'conversations[].messages[].operatorName' },
} as const satisfies { readonly [T in keyof Schema]?: { readonly [C in keyof Schema[T]]?: string } };
