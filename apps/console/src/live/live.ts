/**
 * The console's live side: the operator socket, the inbox it keeps current, presence, and the
 * conversations open in the console. One per signed-in operator; it outlives views, so switching
 * between them or signing in again after a lost session loses nothing.
 *
 * Nothing is lost on a dropped connection: messages typed meanwhile wait in their thread's pending
 * list and go out, with the same client ids (stored once), after the next welcome; every open
 * conversation resumes from the last seq it shows; the inbox is read again from the welcome and the API.
 */
import type {
  AccountDto,
  AccountFunctionDto,
  CannedResponseDto,
  ConversationSummaryDto,
  OperatorClientFrame,
  OperatorDto,
  OperatorServerFrame,
  Presence,
} from '@plauder/protocol';
import { errorText, type Api } from '../api.js';
import { Store } from '../lib/store.js';
import { fromInboxDto, withChange, withItem, type Inbox, type InboxItem } from './inbox.js';
import { Conversations } from './conversations.js';
import { Listings } from './listings.js';
import { OperatorSocket, type SocketState } from './operator-socket.js';
import { lastSeqOf } from './thread.js';

/** A notice for the operator: a refused action, a conversation closed under them. */
export interface Notice {
  id: number;
  text: string;
  conversationId?: string;
}

/** What a conversation-changing frame is about, to say what went wrong when it is refused. */
const actionNames: Partial<Record<OperatorClientFrame['type'], string>> = {
  'conversation.accept': 'accept the conversation',
  'conversation.assign': 'assign the conversation',
  'conversation.transfer': 'transfer the conversation',
  'conversation.close': 'close the conversation',
  'conversation.watch': 'open the conversation',
};

/** The console's live state and the actions on it. */
export class Live {
  readonly connection = new Store<SocketState>('connecting');
  readonly inbox = new Store<Inbox>(new Map());
  readonly presence = new Store<{ status: Presence; capacity: number }>({ status: 'offline', capacity: 5 });
  /** The status this console last asked for, while some `presence.set` has no answer yet. */
  private wantedStatus: Presence | undefined;
  /** `presence.set` frames sent and not answered yet. */
  private presenceRequests = 0;
  readonly presences = new Store<ReadonlyMap<string, Presence>>(new Map());
  readonly notices = new Store<readonly Notice[]>([]);
  /** The closed view's next page, or null when all are loaded; undefined before the first. */
  readonly closedCursor: Store<string | null | undefined>;
  /** The account: whether it is terminated (read-only, and when it is deleted); null until read. */
  readonly account = new Store<AccountDto | null>(null);
  /**
   * Whether the account is terminated, so the console reads only. Apart from `account` so that the
   * controls that follow it draw again only when it changes, not when the account is first read (a
   * redraw then would reset a number the operator is typing).
   */
  readonly readOnly = new Store(false);
  /** The account's optional functions, whether each runs (Translate, the webhooks' note); null until read. */
  readonly functions = new Store<readonly AccountFunctionDto[] | null>(null);
  /** The account's operators (names for the lists, receivers of a transfer). */
  readonly operators = new Store<readonly OperatorDto[]>([]);
  /** The account's canned responses, for the composer's `/` picker. */
  readonly cannedResponses = new Store<readonly CannedResponseDto[]>([]);
  /** Called for a conversation that starts waiting (a new chat, an offline message, one handed back). */
  onWaiting: (item: InboxItem) => void = () => undefined;

  /** The conversations open in the console: transcripts, pending messages, drafts. */
  readonly conversations: Conversations;

  private readonly socket: OperatorSocket;
  private readonly listings: Listings;
  private readonly lastAction = new Map<string, OperatorClientFrame['type']>();
  private noticeId = 0;

  constructor(
    private readonly api: Api,
    readonly operatorId: string,
    private readonly displayName: string,
  ) {
    this.socket = new OperatorSocket({
      onFrame: (frame) => this.handle(frame),
      onState: (state) => {
        this.connection.set(state);
        // An upgrade refused for a session that ended says nothing itself: ask the API, whose
        // answer brings sign-in back (Api.onSessionLost) and stops the attempts.
        if (state === 'reconnecting') void this.api.request('GET', '/api/v1/auth/session').catch(() => undefined);
      },
      onSessionEnded: () => void this.api.request('GET', '/api/v1/auth/session').catch(() => undefined),
    });
    this.conversations = new Conversations(
      api,
      (frame) => this.socket.send(frame),
      (detail) => this.addSummaries([detail]),
    );
    this.listings = new Listings(api, this.inbox, this.conversations, (text) => this.notify(text));
    this.closedCursor = this.listings.closedCursor;
    this.account.subscribe(() => this.readOnly.set(this.account.get()?.status === 'terminated'));
  }

  /** Connects (again, after a new sign-in), and reads the account, its operators and canned responses. */
  start(): void {
    this.socket.connect();
    void this.loadDirectory();
    void this.loadAccount();
  }

  /** Reads the account again (its status: a termination makes it read-only). */
  async loadAccount(): Promise<void> {
    try {
      this.account.set(await this.api.request<AccountDto>('GET', '/api/v1/account'));
    } catch (error) {
      this.notify(`Could not load the account: ${errorText(error)}`);
    }
  }

  /**
   * Reads the account's optional functions again. Read by the views that depend on them as they
   * open, not at start: an admin turns one on or off meanwhile, and the next view opened follows.
   */
  async loadFunctions(): Promise<void> {
    try {
      const found = await this.api.request<{ functions: AccountFunctionDto[] }>('GET', '/api/v1/account/functions');
      this.functions.set(found.functions);
    } catch (error) {
      this.notify(`Could not read which optional functions run: ${errorText(error)}`);
    }
  }

  /** Reads the lists again after an erasure the socket does not tell of (see Listings.reread). */
  reread(): Promise<void> {
    return this.listings.reread();
  }

  /** Reads the account's operators and canned responses again. */
  async loadDirectory(): Promise<void> {
    try {
      const [operators, canned] = await Promise.all([
        this.api.request<{ operators: OperatorDto[] }>('GET', '/api/v1/operators'),
        this.api.request<{ cannedResponses: CannedResponseDto[] }>('GET', '/api/v1/canned-responses'),
      ]);
      this.operators.set(operators.operators);
      this.cannedResponses.set(canned.cannedResponses);
    } catch (error) {
      this.notify(`Could not load the operators and canned responses: ${errorText(error)}`);
    }
  }

  /** An operator's display name. */
  operatorName(id: string | null): string | undefined {
    return id === null ? undefined : this.operators.get().find((o) => o.id === id)?.displayName;
  }

  /** Disconnects (the session ended, or the operator signed out). */
  stop(): void {
    this.socket.stop();
  }

  /** Drops the connection and reconnects at once. */
  reconnectNow(): void {
    this.socket.reconnectNow();
  }

  /** Sets this operator's presence. */
  setPresence(status: Presence): void {
    this.wantedStatus = status;
    this.askPresence(status);
  }

  /**
   * Sets how many chats at once routing gives this operator, keeping the status last asked for: a
   * status change the server has not answered yet is not undone.
   */
  setCapacity(capacity: number): void {
    this.askPresence(this.wantedStatus ?? this.presence.get().status, capacity);
  }

  private askPresence(status: Presence, capacity?: number): void {
    if (this.sendOrNotice({ type: 'presence.set', status, ...(capacity === undefined ? {} : { capacity }) })) {
      this.presenceRequests++;
    }
  }

  /** Opens a conversation in a view (see Conversations.follow). */
  follow(id: string): Promise<void> {
    return this.conversations.follow(id);
  }

  /** Stops following a conversation the view closed; one this operator holds stays followed by the server. */
  unfollow(id: string): void {
    this.conversations.unfollow(id, this.inbox.get().get(id)?.operatorId === this.operatorId);
  }

  /** Marks a conversation read up to its last message, here and for the visitor's "Read". */
  markRead(id: string): void {
    const item = this.inbox.get().get(id);
    const lastSeq = Math.max(item?.lastSeq ?? 0, lastSeqOf(this.conversations.thread(id).get()));
    if (!item || item.readSeq >= lastSeq) return;
    this.inbox.update((inbox) => withItem(inbox, { ...item, readSeq: lastSeq }));
    this.socket.send({ type: 'read', conversationId: id, seq: lastSeq });
  }

  accept(id: string): void {
    this.sendOrNotice({ type: 'conversation.accept', conversationId: id });
  }

  assign(id: string, operatorId: string): void {
    this.sendOrNotice({ type: 'conversation.assign', conversationId: id, operatorId });
  }

  transfer(id: string, operatorId: string): void {
    this.sendOrNotice({ type: 'conversation.transfer', conversationId: id, operatorId });
  }

  close(id: string): void {
    this.sendOrNotice({ type: 'conversation.close', conversationId: id });
  }

  /** Loads the next page of closed conversations. */
  loadClosed(): Promise<void> {
    return this.listings.loadClosed();
  }

  /** Takes conversations listed by the API (search hits, a contact's) into the inbox. */
  addSummaries(summaries: readonly ConversationSummaryDto[]): void {
    this.listings.addSummaries(summaries);
  }

  dismiss(noticeId: number): void {
    this.notices.update((notices) => notices.filter((n) => n.id !== noticeId));
  }

  private notify(text: string, conversationId?: string): void {
    const notice = { id: ++this.noticeId, text, ...(conversationId ? { conversationId } : {}) };
    this.notices.update((notices) => [...notices.slice(-4), notice]);
  }

  /** Sends a frame; false, with a notice, when the connection is down. */
  private sendOrNotice(frame: OperatorClientFrame): boolean {
    if ('conversationId' in frame) this.lastAction.set(frame.conversationId, frame.type);
    if (this.socket.send(frame)) return true;
    this.notify('Not connected: try again when the connection is back.');
    return false;
  }

  private handle(frame: OperatorServerFrame): void {
    switch (frame.type) {
      case 'welcome': {
        this.wantedStatus = undefined;
        this.presenceRequests = 0;
        this.presence.set({ status: frame.presence, capacity: frame.capacity });
        this.presences.set(new Map(frame.presences.map((p) => [p.operatorId, p.status])));
        // The welcome is the truth about waiting and own conversations. The others shown before stay
        // until the API has listed what is open now: those it does not list, and no event changed
        // meanwhile, are read again (taken, closed or erased while the console was away).
        const welcomed = new Map<string, InboxItem>();
        const before = this.inbox.get();
        for (const dto of [...frame.waiting, ...frame.assigned])
          welcomed.set(dto.id, fromInboxDto(dto, before.get(dto.id)));
        const unconfirmed = new Map<string, number>();
        for (const item of before.values()) {
          if (welcomed.has(item.id)) continue;
          welcomed.set(item.id, item);
          if (item.status !== 'closed') unconfirmed.set(item.id, item.version);
        }
        this.inbox.set(welcomed);
        void this.listings.loadOpen(unconfirmed);
        // Also on the first welcome: a conversation opened before it could not resume yet.
        this.conversations.resumeAll();
        return;
      }
      case 'presence':
        // Answers come in the order asked: the last one answered, the status is the server's again.
        this.presenceRequests = Math.max(0, this.presenceRequests - 1);
        if (this.presenceRequests === 0) this.wantedStatus = undefined;
        this.presence.set({ status: frame.status, capacity: frame.capacity });
        this.presences.update((all) => new Map(all).set(this.operatorId, frame.status));
        return;
      case 'presence.changed':
        this.presences.update((all) => new Map(all).set(frame.operatorId, frame.status));
        return;
      case 'inbox.waiting':
      case 'inbox.offline-message': {
        const before = this.inbox.get().get(frame.conversation.id);
        const item = fromInboxDto(frame.conversation, before);
        this.inbox.update((inbox) => withItem(inbox, item));
        // The same change may come twice: the alert is for a conversation that newly waits.
        const newly = !before || before.status !== 'waiting' || item.version > before.version;
        if (this.inbox.get().get(item.id) === item && newly) this.onWaiting(item);
        return;
      }
      case 'inbox.assigned':
        this.changeOrFetch(frame.conversationId, frame.version, () => ({
          status: 'open',
          operatorId: frame.operatorId,
          updatedAt: Date.now(),
        }));
        return;
      case 'inbox.transferred':
        this.changeOrFetch(frame.conversationId, frame.version, () => ({
          status: 'open',
          operatorId: frame.toOperatorId,
          updatedAt: Date.now(),
        }));
        return;
      case 'inbox.closed': {
        const shown = this.inbox.get().get(frame.conversationId);
        const mine = this.lastAction.get(frame.conversationId) === 'conversation.close';
        this.changeOrFetch(frame.conversationId, frame.version, () => ({ status: 'closed', closedAt: Date.now() }));
        if (shown && shown.status !== 'closed' && this.conversations.isFollowed(frame.conversationId)) {
          if (!mine) {
            const who =
              frame.closedBy === 'visitor' ? 'the visitor' : frame.closedBy === 'system' ? 'the system' : 'a colleague';
            this.notify(`This conversation was closed by ${who}. Your draft is kept.`, frame.conversationId);
          }
        }
        return;
      }
      case 'watching':
      case 'unwatched':
      case 'pong':
        return;
      case 'message.created':
        this.conversations.received(frame.message);
        this.bump(frame.message.conversationId, frame.message.seq, false);
        return;
      case 'message.ack':
        if (this.conversations.acknowledged(frame, this.displayName)) this.bump(frame.conversationId, frame.seq, true);
        return;
      case 'message.deleted':
        this.conversations.removed(frame.conversationId, frame.seq);
        return;
      case 'resumed':
        return;
      case 'typing':
        if (frame.author === 'visitor') this.conversations.visitorTyping(frame.conversationId, frame.isTyping);
        return;
      case 'read':
        if (frame.reader === 'visitor') this.conversations.visitorRead(frame.conversationId, frame.seq);
        return;
      case 'error':
        this.refused(frame.code, frame.message, frame.ref);
        return;
    }
  }

  /** A conversation got a message: its place in the lists and its unread mark. */
  private bump(id: string, seq: number, readByMe: boolean): void {
    const item = this.inbox.get().get(id);
    if (!item) return;
    this.inbox.update((inbox) =>
      withItem(inbox, {
        ...item,
        lastSeq: Math.max(item.lastSeq, seq),
        updatedAt: Date.now(),
        readSeq: readByMe ? Math.max(item.readSeq, seq) : item.readSeq,
      }),
    );
  }

  private refused(code: string, message: string, ref: string | undefined): void {
    // Terminated under this console (by a colleague): the banner and the read-only controls follow.
    if (code === 'account_terminated' && !this.readOnly.get()) void this.loadAccount();
    if (ref) {
      const conversationId = this.conversations.refused(ref, { code, message });
      if (conversationId) {
        if (code === 'conversation_closed' || code === 'conversation_not_assigned')
          void this.listings.refreshItem(conversationId);
        return;
      }
      const action = this.lastAction.get(ref);
      this.lastAction.delete(ref);
      if (action) {
        this.notify(`Could not ${actionNames[action] ?? 'do that'}: ${message}`, ref);
        void this.listings.refreshItem(ref);
        return;
      }
    }
    this.notify(message);
  }

  /** An inbox event about a conversation the console does not list: read it from the API. */
  private changeOrFetch(id: string, version: number, change: (item: InboxItem) => Partial<InboxItem>): void {
    // The event answers the action this console sent about it, if any.
    this.lastAction.delete(id);
    if (this.inbox.get().has(id)) this.inbox.update((inbox) => withChange(inbox, id, version, change));
    else void this.listings.refreshItem(id);
  }
}
