/**
 * The chat window's conversation with the installation: session, socket, outbox and reconnects. No
 * UI here; the window renders `ChatState` and calls the methods. Frames the server has not answered
 * stay in the outbox and are sent again after a reconnect, under the same visitor token; their
 * client ids and refs make the resend harmless.
 */
import { newClientMessageId } from '@plauder/protocol/ids';
import type {
  Consent,
  MessageDto,
  VisitorClientFrame,
  VisitorContext,
  VisitorServerFrame,
  WidgetConfig,
} from '@plauder/protocol';
import type { Identity, SavedConversation } from '../bridge/messages.js';
import { initialState, type ChatState } from './chat-state.js';
import { shownFromDto, withAcknowledged, withReceived, type ShownMessage } from './message-log.js';
import { ApiError, fetchAttachment, fetchOwnData, startVisitorSession, uploadAttachment } from './visitor-api.js';
import { VisitorSocket } from './visitor-socket.js';

export type { ShownMessage } from './message-log.js';
export type { ChatState } from './chat-state.js';

/** Outgoing frames that wait for their answer: sent again after every reconnect. */
type Pending = Extract<VisitorClientFrame, { type: 'conversation.start' | 'message.send' | 'offline-message.send' }>;

/** Options of the client. */
export interface ChatClientOptions {
  config: WidgetConfig;
  siteOrigin: string;
  /** The conversation an earlier page load kept, to continue. */
  saved: SavedConversation | null;
  /** The page the visitor is on (origin and path), as the loader told it; sent with a start. */
  pageUrl?: string;
  /** Keeps the conversation for the next page load (null: forgets it). */
  persist: (saved: SavedConversation | null) => void;
  /** An operator's message arrived live (not replayed): for unread counts and read receipts. */
  onOperatorMessage: (message: ShownMessage) => void;
  /** A conversation started or closed (for the site's `Plauder.on`). */
  onLifecycle: (name: 'conversation.started' | 'conversation.closed') => void;
}

/** The chat window's conversation with the installation. */
export class ChatClient {
  state: ChatState = initialState();
  private readonly socket: VisitorSocket;
  /** This window's visitor token: the saved conversation's, or one of a session started here. */
  private credentials: { token: string; expiresAt: number } | undefined;
  /** By client message id, or by ref for a start without a message. */
  private readonly pending = new Map<string, Pending>();
  /** The ref of the start in flight: one at a time, so two quick messages make one conversation. */
  private startRef: string | undefined;
  /** Messages typed while the start is in flight; they go to the conversation it starts. */
  private queued: { clientMessageId: string; body: string }[] = [];
  /** Uploads waiting for the conversation their file starts. */
  private startWaiters: { resolve: (conversationId: string) => void; reject: (error: Error) => void }[] = [];
  private lastSeq = 0;
  /** Between a resume and its `resumed`: replayed messages are neither unread nor news to the site. */
  private replaying = false;
  private consent: Consent | undefined;
  private identity: Identity | undefined;
  private identitySent = false;
  private typingUntil = 0;
  private listener: (state: ChatState) => void = () => undefined;

  constructor(private readonly options: ChatClientOptions) {
    this.socket = new VisitorSocket({
      url: `${options.config.apiUrl.replace(/^http/, 'ws')}/ws/v1/visitor`,
      token: () => this.token(),
      onFrame: (frame) => this.receive(frame),
      onReconnecting: () => this.update({ connection: 'reconnecting', operatorTyping: false }),
      onRefused: (code) => this.update({ connection: 'idle', error: code }),
    });
    const saved = options.saved;
    if (saved) {
      this.credentials = { token: saved.token, expiresAt: saved.expiresAt };
      this.state.conversationId = saved.conversationId;
      this.consent = saved.consent;
    }
  }

  /** Whether the visitor has consented (or needs not). */
  get consented(): boolean {
    return !this.options.config.privacy.optIn || this.consent !== undefined;
  }

  /** Records the visitor's consent to the notice of this version. */
  giveConsent(version: string): void {
    this.consent = { version };
  }

  /** Calls `listener` with every new state. */
  subscribe(listener: (state: ChatState) => void): void {
    this.listener = listener;
    listener(this.state);
  }

  /** Opens the session and the socket; again after every loss, with backoff. */
  connect(): void {
    if (this.state.connection !== 'idle') return;
    this.update({ connection: 'connecting' });
    this.socket.connect();
  }

  /** A token valid for at least another minute: this window's, or a new session's. */
  private async token(): Promise<string> {
    if (this.credentials && this.credentials.expiresAt > Date.now() + 60_000) return this.credentials.token;
    const session = await startVisitorSession(this.options.config, this.options.siteOrigin);
    this.credentials = { token: session.token, expiresAt: session.expiresAt };
    return session.token;
  }

  private receive(frame: VisitorServerFrame): void {
    // Frames of a conversation this window has left behind (ended and restarted, or erased) are old news.
    if ('conversationId' in frame && frame.type !== 'message.ack' && frame.type !== 'conversation.started') {
      if (frame.conversationId !== this.state.conversationId) return;
    }
    switch (frame.type) {
      case 'welcome': {
        this.update({
          connection: 'open',
          operatorsAvailable: frame.operatorsAvailable,
          maxMessageChars: frame.limits.maxMessageChars,
          transcriptByEmail: frame.transcriptByEmail ?? false,
          error: null,
        });
        const conversationId = this.state.conversationId;
        if (conversationId) {
          this.replaying = true;
          this.sendFrame({ type: 'resume', conversationId, sinceSeq: this.lastSeq });
        }
        for (const pending of this.pending.values()) this.sendFrame(pending);
        return;
      }
      case 'conversation.started':
        this.started(frame);
        return;
      case 'message.ack':
        this.pending.delete(frame.clientMessageId);
        this.update({
          messages: withAcknowledged(this.state.messages, { key: frame.clientMessageId, seq: frame.seq }),
        });
        return;
      case 'message.created':
        this.addMessage(frame.message);
        return;
      case 'resumed':
        this.replaying = false;
        this.lastSeq = Math.max(this.lastSeq, frame.lastSeq);
        this.update({ status: frame.status, queuePosition: frame.queuePosition, operatorName: frame.operatorName });
        // Ended while the visitor was away: the next page need not reopen it.
        if (frame.status === 'closed') this.options.persist(null);
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
        this.options.persist(null);
        this.options.onLifecycle('conversation.closed');
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
      case 'transcript.requested':
        this.update({ transcriptEmail: 'sent' });
        return;
      case 'conversation.deleted':
        this.startOver();
        this.update({ deleted: true });
        return;
      case 'error':
        this.refused(frame.code, frame.ref);
        return;
      case 'pong':
        return;
    }
  }

  private started(frame: Extract<VisitorServerFrame, { type: 'conversation.started' }>): void {
    // An answer to a start this window gave up, or a second answer to a resent one.
    if (frame.ref !== this.startRef) return;
    const start = this.pending.get(frame.ref);
    this.pending.delete(frame.ref);
    this.startRef = undefined;
    const { conversationId } = frame;
    this.update({ conversationId, status: frame.status, queuePosition: frame.queuePosition });
    // The start's first message waits for its ack; if the socket is lost first, it goes again as a send.
    if (start?.type === 'conversation.start' && start.clientMessageId && start.body) {
      const { clientMessageId, body } = start;
      this.pending.set(clientMessageId, { type: 'message.send', conversationId, clientMessageId, body });
    }
    for (const { clientMessageId, body } of this.queued.splice(0)) {
      const send: Pending = { type: 'message.send', conversationId, clientMessageId, body };
      this.pending.set(clientMessageId, send);
      this.sendFrame(send);
    }
    if (this.credentials) {
      // The first thing kept in the browser: only now that the visitor has sent something.
      this.options.persist({ ...this.credentials, conversationId, ...(this.consent ? { consent: this.consent } : {}) });
    }
    for (const waiter of this.startWaiters.splice(0)) waiter.resolve(conversationId);
    this.options.onLifecycle('conversation.started');
    this.sendIdentity();
  }

  private refused(code: string, ref: string | undefined): void {
    // Refused (email turned off meanwhile, or no connection): the visitor may ask again.
    if (this.state.transcriptEmail === 'sending' && ref === this.state.conversationId) {
      this.update({ transcriptEmail: 'idle' });
    }
    // A start with a message is answered under the message's client id.
    const key =
      ref === undefined
        ? undefined
        : this.pending.has(ref)
          ? ref
          : [...this.pending].find(([, f]) => f.type === 'conversation.start' && f.clientMessageId === ref)?.[0];
    const frame = key === undefined ? undefined : this.pending.get(key);
    if (frame && key !== undefined && (code === 'rate_limited' || code === 'unavailable')) {
      // Nothing was stored. `unavailable`: the node is closing, the reconnect sends it again.
      if (code === 'rate_limited') setTimeout(() => this.pending.has(key) && this.sendFrame(frame), 2_000);
      return;
    }
    if (key !== undefined) this.pending.delete(key);
    if (frame?.type === 'conversation.start') this.startFailed(frame, code);
    if (ref !== undefined) this.updateMessage(ref, { pending: false, failed: code });
    if (code === 'conversation_closed') this.update({ status: 'closed' });
    if (code === 'not_found' && ref !== undefined && ref === this.state.conversationId) {
      // Gone (erased, or its session expired): this window starts afresh.
      this.startOver();
      return;
    }
    this.update({ error: code });
  }

  /** A start was refused: what waited for it fails with it. */
  private startFailed(start: Extract<Pending, { type: 'conversation.start' }>, code: string): void {
    this.startRef = undefined;
    for (const waiter of this.startWaiters.splice(0)) waiter.reject(new ApiError(400, code));
    const keys = new Set([start.clientMessageId, ...this.queued.splice(0).map((q) => q.clientMessageId)]);
    this.update({
      messages: this.state.messages.map((m) => (keys.has(m.key) ? { ...m, pending: false, failed: code } : m)),
    });
  }

  /** Sends a message, starting the conversation with it when there is none yet. */
  send(body: string): void {
    if (this.state.status === 'closed') this.startOver();
    const clientMessageId = newClientMessageId();
    const shown: ShownMessage = {
      key: clientMessageId,
      seq: null,
      authorKind: 'visitor',
      body,
      createdAt: Date.now(),
      pending: true,
    };
    this.update({ error: null, messages: [...this.state.messages, shown] });
    const conversationId = this.state.conversationId;
    if (conversationId) {
      const frame: Pending = { type: 'message.send', conversationId, clientMessageId, body };
      this.pending.set(clientMessageId, frame);
      this.sendFrame(frame);
    } else if (this.startRef) {
      this.queued.push({ clientMessageId, body });
    } else {
      this.start({ clientMessageId, body });
    }
    this.typing(false);
  }

  private start(first?: { clientMessageId: string; body: string }): void {
    const ref = newClientMessageId();
    this.startRef = ref;
    const frame: Pending = {
      type: 'conversation.start',
      ref,
      ...first,
      ...(this.consent ? { consent: this.consent } : {}),
      context: visitorContext(this.options.pageUrl),
    };
    this.pending.set(ref, frame);
    this.sendFrame(frame);
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

  /**
   * Uploads a file into the conversation (starting one first when there is none). A failed upload
   * is marked on screen with its reason; files are not sent again by themselves.
   */
  async sendFile(file: File): Promise<void> {
    const clientMessageId = newClientMessageId();
    const shown: ShownMessage = {
      key: clientMessageId,
      seq: null,
      authorKind: 'visitor',
      body: file.name,
      createdAt: Date.now(),
      pending: true,
    };
    try {
      const conversationId = await this.ensureConversation();
      this.update({ messages: [...this.state.messages, shown] });
      const token = this.credentials?.token ?? '';
      const { config } = this.options;
      const sent = await uploadAttachment({ config, token, conversationId, clientMessageId, file });
      this.update({ messages: withAcknowledged(this.state.messages, { key: clientMessageId, ...sent }) });
    } catch (error) {
      const code = error instanceof ApiError ? error.code : 'unavailable';
      if (!this.state.messages.some((m) => m.key === clientMessageId)) {
        this.update({ messages: [...this.state.messages, shown] });
      }
      this.updateMessage(clientMessageId, { pending: false, failed: code });
    }
  }

  /** An attachment's bytes, fetched with the visitor's token (never a cookie). */
  fetchAttachment(attachmentId: string): Promise<Blob> {
    return fetchAttachment({ config: this.options.config, token: this.credentials?.token ?? '', attachmentId });
  }

  /** "Download my data": this visitor's conversations, files and details as a zip, with its token. */
  fetchOwnData(): Promise<Blob> {
    return fetchOwnData({ config: this.options.config, token: this.credentials?.token ?? '' });
  }

  private ensureConversation(): Promise<string> {
    if (this.state.status === 'closed') this.startOver();
    const current = this.state.conversationId;
    if (current) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      this.startWaiters.push({ resolve, reject });
      if (!this.startRef) this.start();
    });
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
      this.sendNow({ type: 'conversation.end', conversationId: this.state.conversationId });
  }

  /** Rates the ended conversation, 1–5. */
  rate(rating: number, comment?: string): void {
    if (!this.state.conversationId) return;
    const conversationId = this.state.conversationId;
    this.sendNow({ type: 'conversation.rate', conversationId, rating, ...(comment ? { comment } : {}) });
  }

  /** Erases the conversation on the server: its messages, files and key. */
  delete(): void {
    if (this.state.conversationId)
      this.sendNow({ type: 'conversation.delete', conversationId: this.state.conversationId });
  }

  /** Asks for the conversation's transcript at `email`, sent by the installation's mail server. */
  requestTranscript(email: string): void {
    const conversationId = this.state.conversationId;
    if (!conversationId || this.state.transcriptEmail !== 'idle') return;
    this.update({ transcriptEmail: 'sending', error: null });
    if (!this.sendFrame({ type: 'transcript.request', conversationId, email })) {
      this.update({ transcriptEmail: 'idle', error: 'unavailable' });
    }
  }

  /** Leaves an ended or erased conversation behind, for a new one on the same connection. */
  reset(): void {
    this.startOver();
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
    this.identitySent = this.sendFrame({
      type: 'contact.identify',
      conversationId,
      ...(identity.name ? { name: identity.name } : {}),
      ...(identity.email ? { email: identity.email } : {}),
    });
  }

  /** Drops the current conversation (kept on the server unless erased) and everything waiting for it. */
  private startOver(): void {
    this.options.persist(null);
    this.pending.clear();
    this.queued = [];
    for (const waiter of this.startWaiters.splice(0)) waiter.reject(new ApiError(409, 'conversation_closed'));
    this.startRef = undefined;
    this.lastSeq = 0;
    this.replaying = false;
    this.identitySent = false;
    this.typingUntil = 0;
    const fresh = initialState();
    this.update({
      ...fresh,
      connection: this.state.connection,
      operatorsAvailable: this.state.operatorsAvailable,
      maxMessageChars: this.state.maxMessageChars,
      transcriptByEmail: this.state.transcriptByEmail,
    });
  }

  private addMessage(message: MessageDto): void {
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    const shown = shownFromDto(message);
    const messages = withReceived(this.state.messages, shown);
    if (messages === this.state.messages) return;
    this.update({ messages, ...(message.authorKind === 'operator' ? { operatorTyping: false } : {}) });
    if (message.authorKind === 'operator' && !this.replaying) this.options.onOperatorMessage(shown);
  }

  private updateMessage(key: string, change: Partial<ShownMessage>): void {
    this.update({ messages: this.state.messages.map((m) => (m.key === key ? { ...m, ...change } : m)) });
  }

  /** Sends a frame if the socket is open; false when it is not (the outbox keeps what must be resent). */
  private sendFrame(frame: VisitorClientFrame): boolean {
    return this.socket.send(frame);
  }

  /** Sends a request the visitor waits for; without a connection, says so instead of dropping it. */
  private sendNow(frame: VisitorClientFrame): void {
    if (!this.sendFrame(frame)) this.update({ error: 'unavailable' });
  }

  private update(change: Partial<ChatState>): void {
    this.state = { ...this.state, ...change };
    this.listener(this.state);
  }
}

/**
 * Where the visitor is, for the operators: the page, the browser's language and time zone. A value
 * past the protocol's bounds is left out, since it would make the server refuse the whole start.
 */
function visitorContext(pageUrl: string | undefined): VisitorContext {
  const language = navigator.language;
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return {
    ...(pageUrl ? { pageUrl } : {}),
    ...(language && language.length <= 35 ? { language } : {}),
    ...(timeZone && timeZone.length <= 64 ? { timeZone } : {}),
  };
}
