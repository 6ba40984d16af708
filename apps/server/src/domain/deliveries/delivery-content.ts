import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { findConversationDetail, type ConversationDetail } from '../../storage/conversation-details.js';
import type { DeliveryRow } from '../../storage/deliveries-repository.js';
import { findMessage, listMessages, type Message } from '../../storage/messages-repository.js';
import { listOperators } from '../../storage/operators-repository.js';
import { findWidgetRecord } from '../../storage/widgets-repository.js';

/** Raised when what a delivery tells of is gone (erased, or another account's): it is cancelled, not retried. */
export class DeliverySubjectGoneError extends Error {
  constructor(what: string) {
    super(`${what} is gone (erased or deleted): nothing is sent`);
    this.name = 'DeliverySubjectGoneError';
  }
}

/** A message as a webhook shows it. */
function messageJson(message: Message) {
  return {
    id: message.id,
    seq: message.seq,
    author: message.authorKind,
    operatorId: message.operatorId,
    kind: message.kind,
    text: message.body,
    createdAt: new Date(message.createdAt).toISOString(),
    ...(message.attachment ? { attachment: message.attachment } : {}),
  };
}

/** The conversation a delivery tells of, opened; DeliverySubjectGoneError when it was erased. */
async function conversationOf(ctx: Context, row: DeliveryRow): Promise<ConversationDetail> {
  if (row.conversation_id === null) throw new DeliverySubjectGoneError('The conversation');
  try {
    const detail = await findConversationDetail(ctx.store, {
      accountId: row.account_id,
      conversationId: row.conversation_id,
    });
    if (!detail) throw new DeliverySubjectGoneError('The conversation');
    return detail;
  } catch (error) {
    if (error instanceof KeyDestroyedError) throw new DeliverySubjectGoneError('The conversation');
    throw error;
  }
}

/** The message a delivery tells of, opened; DeliverySubjectGoneError when it was deleted or erased. */
async function messageOf(ctx: Context, row: DeliveryRow, conversation: ConversationDetail): Promise<Message> {
  try {
    const message = await findMessage(ctx.store, {
      accountId: row.account_id,
      conversationId: conversation.id,
      messageId: row.message_id ?? '',
    });
    if (!message) throw new DeliverySubjectGoneError('The message');
    return message;
  } catch (error) {
    if (error instanceof KeyDestroyedError) throw new DeliverySubjectGoneError('The message');
    throw error;
  }
}

/** Every message of a conversation, in order, read page by page. */
async function allMessages(ctx: Context, where: { accountId: string; conversationId: string }): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const page = await listMessages(ctx.store, { ...where, afterSeq: messages.at(-1)?.seq ?? 0, limit: 500 });
    messages.push(...page);
    if (page.length < 500) return messages;
  }
}

/**
 * The JSON body of a webhook delivery, read and opened now: `{ id, event, createdAt, data }`, where
 * `id` is the delivery's (the same on every retry, for the receiver to drop repeats) and `data` holds
 * the conversation (with its contact's name and email, when it has a contact) and, for message events,
 * the message with its text.
 */
export async function webhookBody(ctx: Context, row: DeliveryRow): Promise<string> {
  const conversation = await conversationOf(ctx, row);
  const data: Record<string, unknown> = {
    conversation: {
      id: conversation.id,
      widgetId: conversation.widgetId,
      origin: conversation.origin,
      status: conversation.status,
      operatorId: conversation.operatorId,
      createdAt: new Date(conversation.createdAt).toISOString(),
      closedAt: conversation.closedAt === null ? null : new Date(conversation.closedAt).toISOString(),
      contact: conversation.contact
        ? { id: conversation.contact.id, name: conversation.contact.name, email: conversation.contact.email }
        : null,
      ...(row.event === 'offline_message.received' ? { visitorEmail: conversation.visitorEmail } : {}),
    },
  };
  if (row.message_id !== null) data.message = messageJson(await messageOf(ctx, row, conversation));
  return JSON.stringify({
    id: row.id,
    event: row.event,
    createdAt: new Date(row.created_at).toISOString(),
    accountId: row.account_id,
    data,
  });
}

/** One email to send: recipients, subject and plain text. */
export interface EmailContent {
  to: string[];
  subject: string;
  text: string;
  replyTo?: string;
}

/**
 * The email of a delivery, read and opened now: for an offline message, a note to every operator of
 * the account with the message and the address it was left with; for a transcript asked for, the
 * conversation's messages (not internal notes) to the address the visitor gave.
 */
export async function emailContent(ctx: Context, row: DeliveryRow): Promise<EmailContent> {
  const conversation = await conversationOf(ctx, row);
  const widgetRecord = await findWidgetRecord(ctx.database.db, {
    accountId: row.account_id,
    widgetId: conversation.widgetId,
  });
  const widget = widgetRecord?.name ?? 'the website';
  if (row.event === 'offline_message.received') {
    const operators = await listOperators(ctx.store, { accountId: row.account_id });
    // The message the delivery was queued for: a deleted one cancels it, never sends another.
    const message = await messageOf(ctx, row, conversation);
    const link = `${ctx.config.publicUrl}/app/conversations/${conversation.id}`;
    return {
      to: operators.map((operator) => operator.email).filter((email) => email !== ''),
      subject: `New offline message on ${widget}`,
      text: [
        `A visitor left a message on ${widget} while no one was online:`,
        '',
        message.body,
        '',
        conversation.visitorEmail
          ? `They can be answered at ${conversation.visitorEmail}.`
          : 'They left no email address.',
        `Open it in the console: ${link}`,
      ].join('\n'),
      ...(conversation.visitorEmail ? { replyTo: conversation.visitorEmail } : {}),
    };
  }
  if (row.event === 'transcript.requested') {
    if (!conversation.visitorEmail) throw new DeliverySubjectGoneError('The address the transcript was asked for');
    const messages = await allMessages(ctx, { accountId: row.account_id, conversationId: conversation.id });
    const operators = new Map(
      (await listOperators(ctx.store, { accountId: row.account_id })).map((operator) => [
        operator.id,
        operator.displayName,
      ]),
    );
    const lines = messages
      .filter((message) => message.kind === 'text')
      .map((message) => {
        const who =
          message.authorKind === 'visitor'
            ? 'You'
            : message.authorKind === 'operator'
              ? (operators.get(message.operatorId ?? '') ?? 'Operator')
              : widget;
        return `[${new Date(message.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC] ${who}: ${message.body}`;
      });
    return {
      to: [conversation.visitorEmail],
      subject: `Your chat on ${widget}`,
      text: [`The transcript of your chat on ${widget}, as you asked:`, '', ...lines].join('\n'),
    };
  }
  throw new Error(`No email is sent for ${row.event}`);
}
