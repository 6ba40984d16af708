import type { AttachmentDto, MessageDto } from '@plauder/protocol';

/** A message as the window shows it: sent, received, or still on its way. */
export interface ShownMessage {
  /** The client id of the visitor's own messages, the server id of the others. */
  key: string;
  seq: number | null;
  authorKind: MessageDto['authorKind'];
  body: string;
  createdAt: number;
  operatorName?: string;
  attachment?: AttachmentDto;
  /** The visitor's message has no ack yet. */
  pending: boolean;
  /** The server refused it for good (its error code). */
  failed?: string;
}

/** A message from the server, as shown. */
export function shownFromDto(message: MessageDto): ShownMessage {
  return {
    key: message.id,
    seq: message.seq,
    authorKind: message.authorKind,
    body: message.body,
    createdAt: message.createdAt,
    pending: false,
    ...(message.operatorName ? { operatorName: message.operatorName } : {}),
    ...(message.attachment ? { attachment: message.attachment } : {}),
  };
}

/**
 * The log with a message from the server added, in `seq` order (messages without one, still on
 * their way, last); unchanged when a message of that `seq` is shown already (a replay, or an event
 * that came twice).
 */
export function withReceived(log: readonly ShownMessage[], message: ShownMessage): readonly ShownMessage[] {
  if (message.seq !== null && log.some((m) => m.seq === message.seq)) return log;
  return [...log, message].sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
}

/**
 * The log once the visitor's message `key` was stored as `seq`: that message keeps its place and
 * text, and a copy of it that a replay delivered meanwhile (same seq, other key) goes.
 */
export function withAcknowledged(
  log: readonly ShownMessage[],
  input: { key: string; seq: number; attachment?: AttachmentDto },
): readonly ShownMessage[] {
  return log
    .filter((m) => m.seq !== input.seq || m.key === input.key)
    .map((m) =>
      m.key === input.key
        ? { ...m, pending: false, seq: input.seq, ...(input.attachment ? { attachment: input.attachment } : {}) }
        : m,
    );
}
