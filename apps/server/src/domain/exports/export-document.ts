import {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  type ExportedAttachment,
  type ExportedContact,
  type ExportedConversation,
  type ExportedMessage,
} from '@plauder/protocol';
import type { Context } from '../../context.js';
import type { Contact } from '../../storage/contacts-repository.js';
import {
  listMessagesForExport,
  type ExportAttachment,
  type ExportConversation,
  type ExportMessage,
} from '../../storage/export-repository.js';
import { OperatorNames } from '../operators/operator-names.js';
import type { ExportPlan } from './export-plan.js';

/** Messages opened and written per page: the memory a conversation of any length takes. */
export const EXPORT_PAGE_SIZE = 500;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** The longest safe file name kept in an archive path, in characters, after the attachment id. */
const MAX_SAFE_NAME_CHARS = 100;

/**
 * A file name every unzip tool and file system takes: letters, digits, ".", "-", "_" and spaces; the
 * rest becomes "_". Never "." or "..", never a leading dot, at most MAX_SAFE_NAME_CHARS characters.
 */
export function safeFileName(name: string): string {
  const cleaned = [...name.normalize('NFC').replace(/[^\p{L}\p{N}._ -]/gu, '_')]
    .slice(0, MAX_SAFE_NAME_CHARS)
    .join('')
    .replace(/^[.\s]+/, '')
    .trim();
  return cleaned === '' ? 'file' : cleaned;
}

/** Where an attachment's decrypted bytes are in the archive; the id keeps equal names apart. */
export function attachmentPath(conversationId: string, attachment: { id: string; fileName: string }): string {
  return `attachments/${conversationId}/${attachment.id}-${safeFileName(attachment.fileName)}`;
}

/** A contact as export.json shows it; a contact's notes only when internal notes are in. */
export function presentContact(contact: Contact, withNotes: boolean): ExportedContact {
  return {
    id: contact.id,
    name: contact.name,
    email: contact.email,
    phone: contact.phone,
    ...(withNotes ? { notes: contact.notes } : {}),
    createdAt: iso(contact.createdAt),
    updatedAt: iso(contact.updatedAt),
  };
}

/** A conversation as export.json shows it, without its messages (they stream after it). */
export function presentConversation(conversation: ExportConversation): Omit<ExportedConversation, 'messages'> {
  const { consent, visitor } = conversation;
  return {
    id: conversation.id,
    contactId: conversation.contactId,
    widgetId: conversation.widgetId,
    status: conversation.status,
    origin: conversation.origin,
    createdAt: iso(conversation.createdAt),
    firstResponseAt: isoOrNull(conversation.firstResponseAt),
    closedAt: isoOrNull(conversation.closedAt),
    consent: consent && { version: consent.version, at: iso(consent.at) },
    visitor: visitor && { id: visitor.id, firstSeenAt: iso(visitor.createdAt), lastSeenAt: iso(visitor.lastSeenAt) },
    visitorContext: conversation.visitorContext,
    offlineEmail: conversation.visitorEmail,
    rating: conversation.rating === null ? null : { score: conversation.rating, comment: conversation.ratingComment },
    visitorIp: conversation.visitorIp,
  };
}

/** A message as export.json shows it, with its operator's name and its file's entry. */
export function presentMessage(
  message: ExportMessage,
  extra: { operatorName?: string; attachment?: ExportedAttachment },
): ExportedMessage {
  return {
    at: iso(message.createdAt),
    author: message.authorKind,
    ...(extra.operatorName === undefined ? {} : { operatorName: extra.operatorName }),
    kind: message.kind,
    text: message.body,
    ...(extra.attachment ? { attachment: extra.attachment } : {}),
  };
}

/** An attachment's entry in export.json; without a path when its file was not in the file store. */
export function presentAttachment(
  conversationId: string,
  attachment: ExportAttachment & { missing: boolean },
): ExportedAttachment {
  return {
    name: attachment.fileName,
    contentType: attachment.contentType,
    sizeBytes: attachment.sizeBytes,
    sentAt: iso(attachment.createdAt),
    path: attachment.missing ? null : attachmentPath(conversationId, attachment),
  };
}

/** JSON of `value`, pretty-printed, with every line after the first indented to `depth` levels. */
function pretty(value: unknown, depth: number): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/** The members of an object as pretty-printed lines at `depth`, without the braces. */
function members(value: Record<string, unknown>, depth: number): string {
  const pad = '  '.repeat(depth);
  return Object.entries(value)
    .map(([name, member]) => `${pad}${JSON.stringify(name)}: ${pretty(member, depth)}`)
    .join(',\n');
}

/**
 * export.json as text chunks, written while the archive streams (after the files): the plan's contacts and
 * conversations, and each conversation's messages a page (EXPORT_PAGE_SIZE) at a time, so a long
 * transcript is never whole in memory. The result parses as ExportDocument.
 */
export async function* exportDocumentChunks(
  ctx: Context,
  input: {
    plan: ExportPlan;
    /** The ids of the attachments whose files the file store did not have. */
    missingFiles: ReadonlySet<string>;
    pageSize?: number;
    onConversation?: (done: number, total: number) => void;
  },
): AsyncGenerator<string> {
  const { plan } = input;
  const pageSize = input.pageSize ?? EXPORT_PAGE_SIZE;
  const names = new OperatorNames(ctx, plan.accountId);
  const head = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: iso(plan.exportedAt),
    account: { name: plan.accountName },
    scope: plan.scope,
    internalNotes: plan.withNotes,
    contacts: plan.contacts.map((contact) => presentContact(contact, plan.withNotes)),
  };
  yield `{\n${members(head, 1)},\n  "conversations": [`;
  let done = 0;
  for (const conversation of plan.conversations) {
    const files = new Map(
      conversation.attachments.map((a) => [
        a.messageId,
        presentAttachment(conversation.id, { ...a, missing: input.missingFiles.has(a.id) }),
      ]),
    );
    yield `${done === 0 ? '' : ','}\n    {\n${members(presentConversation(conversation), 3)},\n      "messages": [`;
    let afterSeq = 0;
    let first = true;
    for (;;) {
      const page = await listMessagesForExport(ctx.store, {
        accountId: plan.accountId,
        conversationId: conversation.id,
        upToSeq: conversation.lastSeq,
        withNotes: plan.withNotes,
        afterSeq,
        limit: pageSize,
      });
      const lines: string[] = [];
      for (const message of page) {
        const operatorName = message.operatorId === null ? undefined : await names.of(message.operatorId);
        const attachment = files.get(message.id);
        const entry = presentMessage(message, {
          ...(operatorName === undefined ? {} : { operatorName }),
          ...(attachment ? { attachment } : {}),
        });
        lines.push(`${first ? '' : ','}\n        ${pretty(entry, 4)}`);
        first = false;
      }
      if (lines.length > 0) yield lines.join('');
      const last = page.at(-1);
      if (!last || page.length < pageSize) break;
      afterSeq = last.seq;
    }
    yield `${first ? '' : '\n      '}]\n    }`;
    done += 1;
    input.onConversation?.(done, plan.conversations.length);
  }
  yield `${done === 0 ? '' : '\n  '}]\n}\n`;
}
