/**
 * One conversation as the console shows it: its messages in seq order (each seq once, whichever way
 * it came: the API, the socket, a resume), what this console sent and has no answer for yet, and
 * the visitor's typing and reading. Pure, like the inbox.
 */
import type { ConversationDetailDto, MessageDto } from '@plauder/protocol';

/** A message this console sent: waiting for its ack, or refused (the text is kept). */
export interface PendingMessage {
  clientMessageId: string;
  body: string;
  kind: 'text' | 'note';
  /** The refusal's code and message; absent while it is on its way (or waits for the connection). */
  error?: { code: string; message: string };
}

/** A conversation's transcript and live state. */
export interface Thread {
  id: string;
  messages: MessageDto[];
  pending: PendingMessage[];
  /** Older messages exist than the first loaded one. */
  hasMore: boolean;
  loaded: boolean;
  loadError?: string;
  detail?: ConversationDetailDto;
  visitorTyping: boolean;
  /** The highest seq the visitor has read. */
  visitorReadSeq: number;
  /** Seqs of messages deleted while shown: a page or a replay read before the deletion must not bring them back. */
  deletedSeqs: ReadonlySet<number>;
}

/** A thread before anything is loaded. */
export function newThread(id: string): Thread {
  return {
    id,
    messages: [],
    pending: [],
    hasMore: false,
    loaded: false,
    visitorTyping: false,
    visitorReadSeq: 0,
    deletedSeqs: new Set(),
  };
}

/** The highest seq the thread shows (0 for none). */
export function lastSeqOf(thread: Thread): number {
  return thread.messages.at(-1)?.seq ?? 0;
}

/**
 * The thread with messages added, in seq order, each seq once. Arrivals are nearly always newer
 * than everything shown, so they are appended; older pages and out-of-order replays are merged.
 */
export function withMessages(thread: Thread, received: readonly MessageDto[]): Thread {
  const arrived = thread.deletedSeqs.size === 0 ? received : received.filter((m) => !thread.deletedSeqs.has(m.seq));
  if (arrived.length === 0) return thread;
  const last = lastSeqOf(thread);
  const sorted = [...arrived].sort((a, b) => a.seq - b.seq);
  let messages: MessageDto[];
  if (sorted[0]!.seq > last) {
    messages = thread.messages.concat(sorted.filter((m, i) => i === 0 || m.seq !== sorted[i - 1]!.seq));
  } else {
    const bySeq = new Map(thread.messages.map((m) => [m.seq, m]));
    for (const message of sorted) if (!bySeq.has(message.seq)) bySeq.set(message.seq, message);
    messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  return { ...thread, messages };
}

/** The thread with a sent message acknowledged: out of the pending list, into the transcript. */
export function withAcknowledged(thread: Thread, clientMessageId: string, stored: MessageDto): Thread {
  return withMessages({ ...thread, pending: thread.pending.filter((p) => p.clientMessageId !== clientMessageId) }, [
    stored,
  ]);
}

/** The thread with a pending message refused; its text stays for the operator to copy or send again. */
export function withRefused(thread: Thread, clientMessageId: string, error: { code: string; message: string }): Thread {
  return {
    ...thread,
    pending: thread.pending.map((p) => (p.clientMessageId === clientMessageId ? { ...p, error } : p)),
  };
}

/** The thread without a deleted message (by its seq, unique in the conversation); it stays out from now on. */
export function withoutMessage(thread: Thread, seq: number): Thread {
  if (thread.deletedSeqs.has(seq)) return thread;
  return {
    ...thread,
    messages: thread.messages.filter((m) => m.seq !== seq),
    deletedSeqs: new Set(thread.deletedSeqs).add(seq),
  };
}
