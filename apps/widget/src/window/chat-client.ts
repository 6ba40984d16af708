/**
 * The chat window's connection: visitor session, socket, outbox and reconnects. No UI here; the
 * window renders `ChatState` and calls the methods. Messages the server has not acknowledged stay in
 * the outbox and are sent again after a reconnect; their client ids make the resend harmless.
 */
import { newClientMessageId } from '@plauder/protocol/ids';
import type {
  AttachmentDto,
  Consent,
  ConversationStatus,
  MessageDto,
  VisitorClientFrame,
  VisitorServerFrame,
  VisitorSessionDto,
  WidgetConfig,
} from '@plauder/protocol';
import type { Identity, SavedChat } from '../bridge/messages.js';
import { backoffMs } from './backoff.js';

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

/** Everything the window shows. */
export interface ChatState {
  connection: 'idle' | 'connecting' | 'open' | 'reconnecting';
  operatorsAvailable: boolean | null;
  /** The installation's longest message, from its welcome. */
  maxMessageChars: number;
  conversationId: string | null;
  status: ConversationStatus | null;
  queuePosition: number | null;
  operatorName: string | null;
  messages: ShownMessage[];
  operatorTyping: boolean;
  /** The highest seq the operator has read. */
  readSeq: number;
  rated: boolean;
  deleted: boolean;
  offlineSent: boolean;
  /** The last error the visitor should see (an error code). */
  error: string | null;
}

const initialState = (): ChatState => ({
  connection: 'idle',
  operatorsAvailable: null,
  maxMessageChars: 5000,
  conversationId: null,
  status: null,
  queuePosition: null,
  operatorName: null,
  messages: [],
  operatorTyping: false,
  readSeq: 0,
  rated: false,
  deleted: false,
  offlineSent: false,
  error: null,
});

/** Outgoing frames that wait for their answer: sent again after every reconnect. */
type Pending = Extract<VisitorClientFrame, { type: 'conversation.start' | 'message.send' | 'offline-message.send' }>;

/** Options of the client. */
export interface ChatClientOptions {
  config: WidgetConfig;
  siteOrigin: string;
  /** The conversation an earlier page load kept, to continue. */
  saved: SavedChat | null;
  /** Keeps the conversation for the next page load (null: forgets it). */
  persist: (saved: SavedChat | null) => void;
  /** Called when an operator's message arrives (for unread counts and read receipts). */
  onOperatorMessage: (message: ShownMessage) => void;
}

/** The chat window's connection to the installation. */
export class ChatClient {
  state: ChatState = initialState();
  private socket: WebSocket | undefined;
  private saved: SavedChat | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly shownSeqs = new Set<number>();
  private lastSeq = 0;
  private attempts = 0;
  private consent: Consent | undefined;
  private identity: Identity | undefined;
  private identitySent = false;
  private typingUntil = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Uploads waiting for the conversation their file starts. */
  private readonly startWaiters: Array<(conversationId: string) => void> = [];
  private listener: (state: ChatState) => void = () => undefined;

  constructor(private readonly options: ChatClientOptions) {
    this.saved = options.saved ?? undefined;
    if (this.saved) {
      this.state.conversationId = this.saved.conversationId;
      this.consent = this.saved.consent;
    }
  }

  /** Whether a conversation from an earlier page load is being continued. */
  get continuing(): boolean {
    return this.saved !== undefined;
  }

  /** Whether the visitor has consented (or needs not). */
  get consented(): boolean {
    return !this.options.config.privacy.optIn || this.consent !== undefined;
  }

  /** Records the visitor's consent to the notice of this version. */
  giveConsent(version: string): void {
    this.consent = { version };
    this.sendIdentity();
  }

  /** Calls `listener` with every new state. */
  subscribe(listener: (state: ChatState) => void): void {
    this.listener = listener;
    listener(this.state);
  }

  /** After a deletion: back to a fresh start on the same connection. */
  reset(): void {
    this.startOver();
    this.update({ deleted: false, error: null });
  }

  /** Opens the session and the socket; again after every loss, with backoff. */
  connect(): void {
    if (this.state.connection !== 'idle') return;
    this.update({ connection: 'connecting' });
    void this.open();
  }

  private async open(): Promise<void> {
    try {
      const token = await this.token();
      const url = `${this.options.config.apiUrl.replace(/^http/, 'ws')}/ws/v1/visitor`;
      const socket = new WebSocket(url, ['plauder.v1', `token.${token}`]);
      this.socket = socket;
      let welcomed = false;
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        // The installation's frames follow VisitorServerFrame; the window carries no validator (size).
        const frame = JSON.parse(event.data) as VisitorServerFrame;
        if (frame.type === 'welcome') welcomed = true;
        this.receive(frame);
      };
      socket.onclose = () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        // Refused before the welcome: the stored token may have expired or its conversation be gone.
        if (!welcomed && this.saved && ++this.attempts >= 2) this.forget();
        this.retry();
      };
    } catch {
      this.retry();
    }
  }

  private retry(): void {
    if (this.state.deleted) return;
    this.update({ connection: 'reconnecting', operatorTyping: false });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), backoffMs(this.attempts++));
  }

  private async token(): Promise<string> {
    if (this.saved && this.saved.expiresAt > Date.now() + 60_000) return this.saved.token;
    const response = await fetch(`${this.options.config.apiUrl}/api/v1/visitor-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ publicKey: this.options.config.publicKey, siteOrigin: this.options.siteOrigin }),
      credentials: 'omit',
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
      this.update({ error: body?.error?.code ?? 'unavailable' });
      throw new Error(`visitor session: ${response.status}`);
    }
    const session = (await response.json()) as VisitorSessionDto;
    this.session = session;
    return session.token;
  }

  /** The session of this page load, saved with the conversation after the first message. */
  private session: VisitorSessionDto | undefined;

  private receive(frame: VisitorServerFrame): void {
    switch (frame.type) {
      case 'welcome': {
        this.attempts = 0;
        this.update({
          connection: 'open',
          operatorsAvailable: frame.operatorsAvailable,
          maxMessageChars: frame.limits.maxMessageChars,
          error: null,
        });
        const conversationId = this.state.conversationId;
        if (conversationId) this.sendFrame({ type: 'resume', conversationId, sinceSeq: this.lastSeq });
        for (const frame of this.pending.values()) this.sendFrame(frame);
        return;
      }
      case 'conversation.started':
        this.startedConversation(frame.conversationId, frame.status, frame.queuePosition);
        return;
      case 'message.ack':
        this.pending.delete(frame.clientMessageId);
        this.shownSeqs.add(frame.seq);
        this.updateMessage(frame.clientMessageId, { pending: false, seq: frame.seq });
        return;
      case 'message.created':
        this.addMessage(frame.message);
        return;
      case 'resumed':
        this.lastSeq = Math.max(this.lastSeq, frame.lastSeq);
        return;
      case 'typing':
        this.update({ operatorTyping: frame.isTyping });
        return;
      case 'read':
        this.update({ readSeq: Math.max(this.state.readSeq, frame.seq) });
        return;
      case 'queue.position':
        this.update({ queuePosition: frame.position });
        return;
      case 'conversation.assigned':
        this.update({ status: 'open', operatorName: frame.operatorName, queuePosition: null });
        return;
      case 'conversation.closed':
        this.update({ status: 'closed', operatorTyping: false, queuePosition: null });
        this.forget();
        this.onLifecycle('conversation.closed');
        return;
      case 'conversation.rated':
        this.update({ rated: true });
        return;
      case 'offline-message.ack':
        this.pending.delete(frame.clientMessageId);
        this.update({ offlineSent: true });
        return;
      case 'contact.identified':
        return;
      case 'conversation.deleted':
        this.forget();
        this.shownSeqs.clear();
        this.update({ ...initialState(), connection: this.state.connection, deleted: true });
        return;
      case 'error':
        this.refused(frame.code, frame.ref);
        return;
      case 'pong':
        return;
    }
  }

  private startedConversation(conversationId: string, status: ConversationStatus, queuePosition: number | null): void {
    for (const [key, frame] of this.pending) {
      if (frame.type !== 'conversation.start') continue;
      this.pending.delete(key);
      // Its first message waits for its ack; a resend now goes to the conversation it started.
      if (frame.body && frame.clientMessageId) {
        const { clientMessageId, body } = frame;
        this.pending.set(clientMessageId, { type: 'message.send', conversationId, clientMessageId, body });
      }
    }
    this.update({ conversationId, status, queuePosition });
    const token = this.session ?? this.saved;
    if (token) {
      // The first thing kept in the browser: only now that the visitor has sent something.
      this.saved = {
        token: token.token,
        expiresAt: token.expiresAt,
        conversationId,
        ...(this.consent ? { consent: this.consent } : {}),
      };
      this.options.persist(this.saved);
    }
    for (const resolve of this.startWaiters.splice(0)) resolve(conversationId);
    this.onLifecycle('conversation.started');
    this.sendIdentity();
  }

  private refused(code: string, ref: string | undefined): void {
    const pending = ref === undefined ? undefined : this.pending.get(ref);
    if (code === 'rate_limited' && pending) {
      // Nothing was stored: the outbox sends it again after a pause.
      setTimeout(() => this.sendFrame(pending), 2_000);
      return;
    }
    if (ref !== undefined) {
      this.pending.delete(ref);
      this.updateMessage(ref, { pending: false, failed: code });
    }
    if (code === 'conversation_closed') this.update({ status: 'closed' });
    if (code === 'not_found' && ref === this.state.conversationId) {
      // The conversation is gone (erased, or expired with the session): start afresh.
      this.forget();
      this.update({ conversationId: null, status: null, messages: [] });
    }
    this.update({ error: code });
  }

  /** Sends a message, starting the conversation with it when there is none yet. */
  send(body: string): void {
    const clientMessageId = newClientMessageId();
    const conversationId = this.state.status === 'closed' ? null : this.state.conversationId;
    const frame: Pending = conversationId
      ? { type: 'message.send', conversationId, clientMessageId, body }
      : {
          type: 'conversation.start',
          ref: newClientMessageId(),
          clientMessageId,
          body,
          ...(this.consent ? { consent: this.consent } : {}),
        };
    if (!conversationId && this.state.status === 'closed') this.startOver();
    this.pending.set(clientMessageId, frame);
    this.update({
      error: null,
      messages: [
        ...this.state.messages,
        { key: clientMessageId, seq: null, authorKind: 'visitor', body, createdAt: Date.now(), pending: true },
      ],
    });
    this.sendFrame(frame);
    this.typing(false);
  }

  /** Leaves an offline message (nobody online, or outside business hours). */
  sendOfflineMessage(input: { body: string; email?: string }): void {
    const frame: Pending = {
      type: 'offline-message.send',
      clientMessageId: newClientMessageId(),
      body: input.body,
      ...(input.email ? { email: input.email } : {}),
      ...(this.consent ? { consent: this.consent } : {}),
    };
    this.pending.set(frame.clientMessageId, frame);
    this.sendFrame(frame);
  }

  /** Uploads a file into the conversation (starting one first when there is none). */
  async sendFile(file: File): Promise<void> {
    const conversationId = await this.ensureConversation();
    const clientMessageId = newClientMessageId();
    const shown: ShownMessage = {
      key: clientMessageId,
      seq: null,
      authorKind: 'visitor',
      body: file.name,
      createdAt: Date.now(),
      pending: true,
    };
    this.update({ messages: [...this.state.messages, shown] });
    const query = new URLSearchParams({ clientMessageId, fileName: file.name });
    const response = await fetch(
      `${this.options.config.apiUrl}/api/v1/visitor/conversations/${conversationId}/attachments?${query.toString()}`,
      { method: 'POST', headers: this.authorization('application/octet-stream'), body: file, credentials: 'omit' },
    );
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
      this.updateMessage(clientMessageId, { pending: false, failed: body?.error?.code ?? 'unavailable' });
      return;
    }
    const sent = (await response.json()) as { seq: number; attachment: AttachmentDto };
    this.shownSeqs.add(sent.seq);
    // The socket may have delivered the same message already: keep one.
    this.state.messages = this.state.messages.filter((m) => m.seq !== sent.seq || m.key === clientMessageId);
    this.updateMessage(clientMessageId, { pending: false, seq: sent.seq, attachment: sent.attachment });
  }

  /** An attachment's bytes, fetched with the visitor's token (never a cookie). */
  async fetchAttachment(attachmentId: string): Promise<Blob> {
    const response = await fetch(`${this.options.config.apiUrl}/api/v1/visitor/attachments/${attachmentId}`, {
      headers: this.authorization(),
      credentials: 'omit',
    });
    if (!response.ok) throw new Error(`attachment ${response.status}`);
    return response.blob();
  }

  private authorization(contentType?: string): Record<string, string> {
    const token = this.session?.token ?? this.saved?.token ?? '';
    return { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) };
  }

  private ensureConversation(): Promise<string> {
    const current = this.state.status === 'closed' ? null : this.state.conversationId;
    if (current) return Promise.resolve(current);
    if (this.state.status === 'closed') this.startOver();
    const ref = newClientMessageId();
    this.pending.set(ref, { type: 'conversation.start', ref, ...(this.consent ? { consent: this.consent } : {}) });
    this.sendFrame({ type: 'conversation.start', ref, ...(this.consent ? { consent: this.consent } : {}) });
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  /** Tells the operator whether the visitor is typing; at most one frame every 3 s while typing. */
  typing(isTyping: boolean): void {
    const conversationId = this.state.conversationId;
    if (!conversationId || this.state.status === 'closed') return;
    const now = Date.now();
    if (isTyping && now < this.typingUntil) return;
    if (!isTyping && this.typingUntil === 0) return;
    this.typingUntil = isTyping ? now + 3_000 : 0;
    this.sendFrame({ type: 'typing', conversationId, isTyping });
  }

  /** Marks the operator's messages up to `seq` as read. */
  read(seq: number): void {
    if (this.state.conversationId) this.sendFrame({ type: 'read', conversationId: this.state.conversationId, seq });
  }

  /** Ends the conversation. */
  end(): void {
    if (this.state.conversationId)
      this.sendFrame({ type: 'conversation.end', conversationId: this.state.conversationId });
  }

  /** Rates the ended conversation, 1–5. */
  rate(rating: number, comment?: string): void {
    if (!this.state.conversationId) return;
    this.sendFrame({
      type: 'conversation.rate',
      conversationId: this.state.conversationId,
      rating,
      ...(comment ? { comment } : {}),
    });
  }

  /** Erases the conversation on the server: its messages, files and key. */
  delete(): void {
    if (this.state.conversationId)
      this.sendFrame({ type: 'conversation.delete', conversationId: this.state.conversationId });
  }

  /** Holds who the visitor is, and sends it once they consented and a conversation exists. */
  identify(identity: Identity): void {
    this.identity = identity;
    this.identitySent = false;
    this.sendIdentity();
  }

  private sendIdentity(): void {
    const conversationId = this.state.conversationId;
    const identity = this.identity;
    if (!identity || this.identitySent || !conversationId || !this.consented || this.state.status === 'closed') return;
    if (!identity.name && !identity.email) return;
    this.identitySent = true;
    this.sendFrame({
      type: 'contact.identify',
      conversationId,
      ...(identity.name ? { name: identity.name } : {}),
      ...(identity.email ? { email: identity.email } : {}),
    });
  }

  /** Leaves a closed conversation behind, for a new one. */
  private startOver(): void {
    this.forget();
    this.shownSeqs.clear();
    this.lastSeq = 0;
    this.identitySent = false;
    this.update({ conversationId: null, status: null, messages: [], rated: false, readSeq: 0, operatorName: null });
  }

  /** Forgets the saved conversation of this browser. */
  private forget(): void {
    this.saved = undefined;
    this.options.persist(null);
  }

  /** Set by the window: a conversation started or closed (for the site's `Plauder.on`). */
  onLifecycle: (name: 'conversation.started' | 'conversation.closed') => void = () => undefined;

  private addMessage(message: MessageDto): void {
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    if (this.shownSeqs.has(message.seq)) return;
    this.shownSeqs.add(message.seq);
    const shown: ShownMessage = {
      key: message.id,
      seq: message.seq,
      authorKind: message.authorKind,
      body: message.body,
      createdAt: message.createdAt,
      pending: false,
      ...(message.operatorName ? { operatorName: message.operatorName } : {}),
      ...(message.attachment ? { attachment: message.attachment } : {}),
    };
    const messages = [...this.state.messages, shown].sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
    this.update({ messages, ...(message.authorKind === 'operator' ? { operatorTyping: false } : {}) });
    if (message.authorKind === 'operator') this.options.onOperatorMessage(shown);
  }

  private updateMessage(key: string, change: Partial<ShownMessage>): void {
    this.update({ messages: this.state.messages.map((m) => (m.key === key ? { ...m, ...change } : m)) });
  }

  private sendFrame(frame: VisitorClientFrame): void {
    if (this.socket?.readyState === WebSocket.OPEN && this.state.connection === 'open')
      this.socket.send(JSON.stringify(frame));
  }

  private update(change: Partial<ChatState>): void {
    this.state = { ...this.state, ...change };
    this.listener(this.state);
  }
}
