import type { MessageDto } from '@plauder/protocol';
import type { Context } from '../context.js';
import type { ConversationEvent } from '../domain/conversations/events.js';
import { messageDto } from '../domain/conversations/message-dto.js';
import type { OperatorNames } from '../domain/operators/operator-names.js';
import { listMessages } from '../storage/messages-repository.js';
import { openField } from '../storage/sealed-store.js';

/**
 * A `message.created` event as the wire shows it: its body as this process just sent it (SentBodies),
 * else opened with the conversation key.
 */
export async function messageOfEvent(
  ctx: Context,
  event: Extract<ConversationEvent, { type: 'message.created' }>,
  names: OperatorNames,
): Promise<MessageDto> {
  const body =
    ctx.sentBodies.get(event) ??
    (await openField(ctx.store, Buffer.from(event.bodySealed, 'base64'), {
      accountId: event.accountId,
      table: 'messages',
      column: 'body_sealed',
      rowId: event.messageId,
    }));
  return {
    id: event.messageId,
    conversationId: event.conversationId,
    seq: event.seq,
    authorKind: event.authorKind,
    kind: event.kind,
    body: body ?? '',
    createdAt: event.createdAt,
    ...(event.operatorId ? { operatorName: await names.of(event.operatorId) } : {}),
    ...(event.attachment ? { attachment: event.attachment } : {}),
  };
}

/**
 * Sends every message of a conversation after `sinceSeq`, in order, and returns the last seq seen
 * (notes count: the window's resume point moves past them, though it never sees them).
 */
export async function replayMessages(
  ctx: Context,
  input: {
    accountId: string;
    conversationId: string;
    sinceSeq: number;
    withNotes: boolean;
    names: OperatorNames;
    send: (message: MessageDto) => void;
  },
): Promise<number> {
  const pageSize = 200;
  let lastSeq = input.sinceSeq;
  for (;;) {
    const page = await listMessages(ctx.store, {
      accountId: input.accountId,
      conversationId: input.conversationId,
      afterSeq: lastSeq,
      limit: pageSize,
    });
    for (const message of page) {
      lastSeq = message.seq;
      if (message.kind === 'note' && !input.withNotes) continue;
      input.send(await messageDto(message, input.names));
    }
    if (page.length < pageSize) return lastSeq;
  }
}
