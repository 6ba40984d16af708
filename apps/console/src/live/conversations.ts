/**
 * The conversations open in the console: each one's thread (transcript, pending messages, the
 * visitor's typing and reading), which of them a view follows, and what the operator typed and did
 * not send. Part of `Live`, which feeds it the socket's frames and owns the socket.
 */
import type {
  ConversationDetailDto,
  MessageAckFrame,
  MessageDto,
  OperatorClientFrame,
  TranscriptPageDto,
} from '@plauder/protocol';
import { newClientMessageId } from '@plauder/protocol/ids';
import { errorText, type Api } from '../api.js';
import { Store } from '../lib/store.js';
import {
  lastSeqOf,
  newThread,
  withAcknowledged,
  withMessages,
  withoutMessage,
  withRefused,
  type PendingMessage,
  type Thread,
} from './thread.js';

/** How many messages a transcript page holds. */
export const TRANSCRIPT_PAGE = 200;
/** The visitor counts as typing this long after their last `typing` frame. */
const TYPING_SHOWN_MS = 6000;

/** The threads of the console. */
export class Conversations {
  /** What the operator has typed per conversation and not sent; kept across views and sign-ins. */
  readonly drafts = new Map<string, { text: string; kind: 'text' | 'note' | null }>();
  private readonly threads = new Map<string, Store<Thread>>();
  /** Conversations open in a view: their events are followed and they resume after a reconnect. */
  private readonly followed = new Set<string>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Loads under way, so a conversation opened twice at once is read once. */
  private readonly loading = new Map<string, Promise<boolean>>();

  constructor(
    private readonly api: Api,
    /** Sends a frame; false while the socket is not open. */
    private readonly sendFrame: (frame: OperatorClientFrame) => boolean,
    /** A conversation's details were read: for the inbox. */
    private readonly onDetail: (detail: ConversationDetailDto) => void,
  ) {}

  /** The thread of a conversation (created empty). */
  thread(id: string): Store<Thread> {
    let store = this.threads.get(id);
    if (!store) {
      store = new Store(newThread(id));
      this.threads.set(id, store);
    }
    return store;
  }

  isFollowed(id: string): boolean {
    return this.followed.has(id);
  }

  /**
   * Opens a conversation in a view: its newest page and its details from the API, then its events
   * over the socket from the last seq shown (a resume, which also watches it).
   */
  async follow(id: string): Promise<void> {
    this.followed.add(id);
    const store = this.thread(id);
    if (store.get().loaded) {
      // Shown before: the newest details (a contact named meanwhile), then the messages missed.
      void this.api
        .request<ConversationDetailDto>('GET', path(id))
        .then((detail) => {
          this.setDetail(detail);
          // Back in the lists, should they have let it go meanwhile (Live.reread).
          this.onDetail(detail);
        })
        .catch(() => undefined);
    } else {
      // Opened again while it loads: the first opening resumes it once it is loaded.
      if (this.loading.has(id)) return;
      const load = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, load);
      if (!(await load)) return;
    }
    if (this.followed.has(id)) this.sendFrame({ type: 'resume', conversationId: id, sinceSeq: lastSeqOf(store.get()) });
  }

  /** Reads a conversation's newest page and details; false when it cannot be shown. */
  private async load(id: string): Promise<boolean> {
    const store = this.thread(id);
    try {
      const [page, detail] = await Promise.all([
        this.api.request<TranscriptPageDto>('GET', `${path(id)}/messages?limit=${TRANSCRIPT_PAGE}`),
        this.api.request<ConversationDetailDto>('GET', path(id)),
      ]);
      store.update((thread) => ({
        ...withMessages(thread, page.messages),
        hasMore: page.hasMore,
        loaded: true,
        loadError: undefined,
        detail,
      }));
      this.onDetail(detail);
      return true;
    } catch (error) {
      store.update((thread) => ({ ...thread, loadError: errorText(error) }));
      return false;
    }
  }

  /** Stops following; the server keeps sending the events of a conversation the operator holds. */
  unfollow(id: string, held: boolean): void {
    this.followed.delete(id);
    if (!held) this.sendFrame({ type: 'conversation.unwatch', conversationId: id });
  }

  /** After a reconnect: every followed conversation resumes, every unanswered message goes again. */
  resumeAll(): void {
    for (const id of this.followed) void this.follow(id);
    for (const [id, store] of this.threads) {
      for (const pending of store.get().pending) if (!pending.error) this.sendPending(id, pending);
    }
  }

  /** Loads the page of messages before the first one shown. */
  async loadEarlier(id: string): Promise<void> {
    const store = this.thread(id);
    const first = store.get().messages[0];
    if (!first || !store.get().hasMore) return;
    const page = await this.api.request<TranscriptPageDto>(
      'GET',
      `${path(id)}/messages?before=${first.seq}&limit=${TRANSCRIPT_PAGE}`,
    );
    store.update((thread) => ({ ...withMessages(thread, page.messages), hasMore: page.hasMore }));
  }

  /** Takes new details of a conversation that is shown. */
  setDetail(detail: ConversationDetailDto): void {
    if (this.threads.has(detail.id)) this.thread(detail.id).update((thread) => ({ ...thread, detail }));
  }

  /** A message was deleted (here or in another console): out of its transcript, if shown. */
  removed(conversationId: string, seq: number): void {
    this.threads.get(conversationId)?.update((thread) => withoutMessage(thread, seq));
  }

  /** Deletes a message for good (admins); the other consoles hear `message.deleted`. */
  async deleteMessage(conversationId: string, message: { id: string; seq: number }): Promise<void> {
    await this.api.request('DELETE', `${path(conversationId)}/messages/${encodeURIComponent(message.id)}`);
    this.removed(conversationId, message.seq);
  }

  /** The conversation was erased: a view showing it says so instead of its stale transcript. */
  erased(id: string): void {
    this.threads
      .get(id)
      ?.set({ ...newThread(id), loadError: 'This conversation was deleted; its messages and files are gone.' });
  }

  /** Sends a reply or a note; it waits in the pending list until acknowledged, across reconnects. */
  send(id: string, body: string, kind: 'text' | 'note'): void {
    const pending: PendingMessage = { clientMessageId: newClientMessageId(), body, kind };
    this.thread(id).update((thread) => ({ ...thread, pending: [...thread.pending, pending] }));
    this.sendPending(id, pending);
  }

  /** Sends a refused message again (same client id: it is stored once). */
  retry(id: string, clientMessageId: string): void {
    const store = this.thread(id);
    const pending = store.get().pending.find((p) => p.clientMessageId === clientMessageId);
    if (!pending) return;
    const again = { ...pending, error: undefined };
    store.update((thread) => ({
      ...thread,
      pending: thread.pending.map((p) => (p.clientMessageId === clientMessageId ? again : p)),
    }));
    this.sendPending(id, again);
  }

  /** Drops a refused message. */
  discard(id: string, clientMessageId: string): void {
    this.thread(id).update((thread) => ({
      ...thread,
      pending: thread.pending.filter((p) => p.clientMessageId !== clientMessageId),
    }));
  }

  /** Tells the others whether this operator is typing in a conversation. */
  typing(id: string, isTyping: boolean): void {
    this.sendFrame({ type: 'typing', conversationId: id, isTyping });
  }

  /** A message arrived (from the socket, or sent over HTTP as a file): into its transcript. */
  received(message: MessageDto): void {
    this.thread(message.conversationId).update((thread) => withMessages(thread, [message]));
    if (message.authorKind === 'visitor') this.visitorTyping(message.conversationId, false);
  }

  /** A sent message was stored: answers it as the transcript shows it, or undefined for an unknown one. */
  acknowledged(frame: MessageAckFrame, operatorName: string): MessageDto | undefined {
    const store = this.thread(frame.conversationId);
    const pending = store.get().pending.find((p) => p.clientMessageId === frame.clientMessageId);
    if (!pending) return undefined;
    const stored: MessageDto = {
      id: frame.messageId,
      conversationId: frame.conversationId,
      seq: frame.seq,
      authorKind: 'operator',
      kind: pending.kind,
      body: pending.body,
      createdAt: Date.now(),
      operatorName,
    };
    store.update((thread) => withAcknowledged(thread, frame.clientMessageId, stored));
    return stored;
  }

  /** A sent message was refused: answers its conversation's id, or undefined when `ref` names none. */
  refused(ref: string, error: { code: string; message: string }): string | undefined {
    for (const [id, store] of this.threads) {
      if (store.get().pending.some((p) => p.clientMessageId === ref)) {
        store.update((thread) => withRefused(thread, ref, error));
        return id;
      }
    }
    return undefined;
  }

  visitorTyping(id: string, isTyping: boolean): void {
    clearTimeout(this.typingTimers.get(id));
    this.thread(id).update((thread) =>
      thread.visitorTyping === isTyping ? thread : { ...thread, visitorTyping: isTyping },
    );
    if (isTyping)
      this.typingTimers.set(
        id,
        setTimeout(() => this.visitorTyping(id, false), TYPING_SHOWN_MS),
      );
  }

  visitorRead(id: string, seq: number): void {
    this.thread(id).update((thread) => (seq > thread.visitorReadSeq ? { ...thread, visitorReadSeq: seq } : thread));
  }

  private sendPending(id: string, pending: PendingMessage): void {
    // Not connected: it stays pending and goes out after the next welcome.
    this.sendFrame({
      type: 'message.send',
      conversationId: id,
      clientMessageId: pending.clientMessageId,
      body: pending.body,
      kind: pending.kind,
    });
  }
}

function path(id: string): string {
  return `/api/v1/conversations/${encodeURIComponent(id)}`;
}
