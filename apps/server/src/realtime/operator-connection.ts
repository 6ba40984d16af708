import { randomUUID } from 'node:crypto';
import { assertNever, OperatorClientFrame, PROTOCOL_VERSION, type OperatorServerFrame } from '@plauder/protocol';
import type { Context } from '../context.js';
import { assertAccountActive } from '../domain/accounts/terminate-account.js';
import { authenticateSession } from '../domain/auth/authenticate.js';
import { announceRead, announceTyping } from '../domain/conversations/announce-activity.js';
import { assignConversation } from '../domain/conversations/assign-conversation.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import {
  AccountEvent,
  accountChannel,
  conversationChannel,
  type ConversationEvent,
} from '../domain/conversations/events.js';
import { getInbox } from '../domain/conversations/get-inbox.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { AppError, notFound } from '../domain/errors.js';
import { connectOperator, disconnectOperator, type OperatorSocket } from '../domain/operators/connect-operator.js';
import { setPresence } from '../domain/operators/set-presence.js';
import type { Principal } from '../domain/principal.js';
import { findConversationState } from '../storage/conversations-repository.js';
import { Connection, type AcceptedSocket, type ConnectionLimits } from './connection.js';
import { OperatorNames } from '../domain/operators/operator-names.js';
import { replayMessages } from './messages.js';
import { ShownVersions } from './shown-versions.js';

const frames = {
  schema: OperatorClientFrame,
  knownTypes: new Set<string>(OperatorClientFrame.options.map((o) => o.shape.type.value)),
};

/** The frames that change something: a terminated account's console reads only, so they answer `account_terminated`. */
const WRITE_FRAMES = new Set<OperatorClientFrame['type']>([
  'presence.set',
  'conversation.accept',
  'conversation.assign',
  'conversation.transfer',
  'conversation.close',
  'message.send',
]);

/** The close code for a socket whose session ended (expired, logged out, operator disabled). */
export const SESSION_ENDED_CLOSE_CODE = 4001;

/**
 * One operator console's socket: the account's inbox events, the operator's own conversations (and
 * those they watch) with notes, and the operator's actions — presence, accept, assign, transfer,
 * close, messages, notes, typing. Presence counts the socket from open to close.
 */
export class OperatorConnection extends Connection<OperatorClientFrame, OperatorServerFrame> {
  private readonly socketId = randomUUID();
  /** Set once presence counts this socket. */
  private registered = false;
  private readonly names: OperatorNames;
  /** Conversations this operator has: followed until they go elsewhere or close. */
  private readonly assigned = new Set<string>();
  /** Conversations followed by `watch` or `resume`: followed until the socket closes. */
  private readonly watched = new Set<string>();
  /** What the inbox showed of each conversation: an event older than that is dropped. */
  private readonly shown = new ShownVersions();

  private constructor(
    ctx: Context,
    socket: AcceptedSocket,
    private operator: Principal & { kind: 'operator' },
    private readonly sessionSecret: string,
    limits: ConnectionLimits,
  ) {
    super(ctx, socket, frames, { ...limits, personKey: `operator:${operator.operatorId}` });
    this.names = new OperatorNames(ctx, operator.accountId);
  }

  /**
   * Opens an operator's socket: follows the account's inbox, counts the operator as connected (routing
   * may give them chats at once), then says welcome with the inbox. Events that arrive meanwhile queue
   * behind the welcome.
   */
  static open(
    ctx: Context,
    socket: AcceptedSocket,
    input: { operator: Principal & { kind: 'operator' }; sessionSecret: string; limits: ConnectionLimits },
  ): OperatorConnection {
    const connection = new OperatorConnection(ctx, socket, input.operator, input.sessionSecret, input.limits);
    connection.enqueue(async () => {
      try {
        await connection.welcome();
      } catch (error) {
        ctx.logger.error({ err: error }, 'Could not open an operator socket');
        connection.closeSocket(1011, 'internal_error');
      }
    });
    return connection;
  }

  private async welcome(): Promise<void> {
    const { accountId, operatorId } = this.operator;
    await this.follow(accountChannel(accountId), (message) => this.onAccountEvent(message));
    // A socket that closed before its welcome must not count as connected (routing would wait on it).
    if (this.closed) return;
    await connectOperator(this.ctx, { accountId, operatorId, socketId: this.socketId });
    this.registered = true;
    const held = await getInbox(this.ctx, { accountId, operatorId });
    for (const conversation of held.assigned) await this.take(conversation.id);
    // Read again once followed: a message committed meanwhile is counted in lastSeq or arrives live.
    const inbox = await getInbox(this.ctx, { accountId, operatorId });
    // Events queued meanwhile that this state has overtaken are dropped.
    for (const conversation of [...inbox.waiting, ...inbox.assigned])
      this.shown.admit(conversation.id, conversation.version);
    this.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      operatorId,
      presence: inbox.presence.status,
      capacity: inbox.presence.capacity,
      waiting: inbox.waiting,
      assigned: inbox.assigned,
      presences: inbox.presences,
    });
  }

  /** This socket as presence knows it, once registered and until it closes; the heartbeat refreshes it. */
  get liveSocket(): OperatorSocket | undefined {
    const { accountId, operatorId } = this.operator;
    return this.registered && !this.closed ? { accountId, operatorId, socketId: this.socketId } : undefined;
  }

  /**
   * Checks the session again: a socket whose session ended is closed with 4001, and a changed role
   * (a demotion) applies from now on.
   */
  async revalidate(): Promise<void> {
    try {
      const { principal } = await authenticateSession(this.ctx, this.sessionSecret);
      this.operator = principal;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      this.closeSocket(SESSION_ENDED_CLOSE_CODE, error.code);
    }
  }

  protected async dispatch(frame: OperatorClientFrame): Promise<void> {
    const { accountId, operatorId } = this.operator;
    const by = this.operator;
    if (WRITE_FRAMES.has(frame.type)) await assertAccountActive(this.ctx, { accountId });
    switch (frame.type) {
      case 'presence.set': {
        const presence = await setPresence(this.ctx, {
          accountId,
          operatorId,
          status: frame.status,
          ...(frame.capacity === undefined ? {} : { capacity: frame.capacity }),
        });
        this.send({ type: 'presence', status: presence.status, capacity: presence.capacity });
        return;
      }
      case 'conversation.accept':
        await assignConversation(this.ctx, { by, conversationId: frame.conversationId, operatorId, how: 'accepted' });
        return;
      case 'conversation.assign':
        await assignConversation(this.ctx, { by, ...frame, how: 'assigned' });
        return;
      case 'conversation.transfer':
        await assignConversation(this.ctx, { by, ...frame, how: 'transferred' });
        return;
      case 'conversation.close': {
        const closed = await closeConversation(this.ctx, {
          by: { kind: 'operator', accountId, operatorId },
          conversationId: frame.conversationId,
        });
        if (closed.alreadyClosed) throw new AppError('conversation_closed', 'This conversation is closed already');
        return;
      }
      case 'conversation.watch':
        await this.watch(frame.conversationId);
        this.send({ type: 'watching', conversationId: frame.conversationId });
        return;
      case 'conversation.unwatch':
        // Nothing to check: unwatching reveals nothing, and an id never watched is already unwatched.
        await this.unwatch(frame.conversationId);
        this.send({ type: 'unwatched', conversationId: frame.conversationId });
        return;
      case 'message.send': {
        // Followed before the send, so the conversation's next events reach this socket too.
        await this.watchIfNeeded(frame.conversationId);
        const sent = await sendMessage(this.ctx, { author: { kind: 'operator', accountId, operatorId }, ...frame });
        this.acknowledge({
          clientMessageId: frame.clientMessageId,
          conversationId: frame.conversationId,
          messageId: sent.messageId,
          seq: sent.seq,
        });
        return;
      }
      case 'typing':
        await this.inAccount(frame.conversationId);
        await announceTyping(this.ctx, { ...frame, by: { kind: 'operator', operatorId } });
        return;
      case 'read':
        await this.inAccount(frame.conversationId);
        await announceRead(this.ctx, { ...frame, by: { kind: 'operator', operatorId } });
        return;
      case 'resume': {
        await this.watch(frame.conversationId);
        const lastSeq = await replayMessages(this.ctx, {
          accountId,
          conversationId: frame.conversationId,
          sinceSeq: frame.sinceSeq,
          withNotes: true,
          names: this.names,
          send: (message) => this.send({ type: 'message.created', message }),
        });
        this.send({ type: 'resumed', conversationId: frame.conversationId, lastSeq });
        return;
      }
      case 'ping':
        this.send({ type: 'pong' });
        return;
      default:
        assertNever(frame);
    }
  }

  protected async onClosed(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    const { accountId, operatorId } = this.operator;
    await disconnectOperator(this.ctx, { accountId, operatorId, socketId: this.socketId });
  }

  /** Throws not_found unless the conversation is the account's: other accounts' ids look unknown. */
  private async inAccount(conversationId: string): Promise<void> {
    const state = await findConversationState(this.ctx.database.db, {
      accountId: this.operator.accountId,
      conversationId,
    });
    if (!state) throw notFound('conversation', conversationId);
  }

  /** Follows a conversation of the account until the socket closes. */
  private async watch(conversationId: string): Promise<void> {
    await this.inAccount(conversationId);
    this.watched.add(conversationId);
    await this.followConversation(conversationId);
  }

  /** Stops following a watched conversation, unless this operator holds it. */
  private async unwatch(conversationId: string): Promise<void> {
    if (!this.watched.delete(conversationId) || this.assigned.has(conversationId)) return;
    await this.unfollow(conversationChannel(conversationId));
  }

  private async watchIfNeeded(conversationId: string): Promise<void> {
    if (!this.assigned.has(conversationId) && !this.watched.has(conversationId)) await this.watch(conversationId);
  }

  /** Follows a conversation this operator was given. */
  private async take(conversationId: string): Promise<void> {
    await this.followConversation(conversationId);
    this.assigned.add(conversationId);
  }

  /** Stops following a conversation that left this operator, unless they watch it. */
  private async release(conversationId: string): Promise<void> {
    if (!this.assigned.delete(conversationId) || this.watched.has(conversationId)) return;
    await this.unfollow(conversationChannel(conversationId));
  }

  private followConversation(conversationId: string): Promise<void> {
    return this.followConversationEvents(conversationId, (event) => this.onConversationEvent(event));
  }

  private onAccountEvent(message: unknown): void {
    const parsed = AccountEvent.safeParse(message);
    if (!parsed.success) {
      this.ctx.logger.error({ issues: parsed.error.issues.length }, 'Unreadable event on an account channel');
      return;
    }
    // Queued: inbox events keep their order with the frames, and none overtakes the welcome.
    this.enqueue(() => this.presentAccountEvent(parsed.data));
  }

  private async presentAccountEvent(event: AccountEvent): Promise<void> {
    const me = this.operator.operatorId;
    if (event.type !== 'presence.changed' && !this.shown.admit(event.conversationId, event.version)) return;
    switch (event.type) {
      case 'conversation.waiting': {
        if (this.assigned.has(event.conversationId)) await this.release(event.conversationId);
        const conversation = {
          id: event.conversationId,
          widgetId: event.widgetId,
          status: 'waiting' as const,
          origin: event.origin,
          operatorId: null,
          lastSeq: event.lastSeq,
          createdAt: event.createdAt,
          version: event.version,
        };
        if (event.origin === 'offline_message') this.send({ type: 'inbox.offline-message', conversation });
        else this.send({ type: 'inbox.waiting', conversation, requeued: event.requeued });
        return;
      }
      case 'conversation.assigned':
        try {
          if (event.operatorId === me) await this.take(event.conversationId);
          else if (event.fromOperatorId === me) await this.release(event.conversationId);
        } catch (error) {
          // The inbox still learns of it; the console resumes the conversation to follow it.
          this.ctx.logger.error(
            { err: error, conversationId: event.conversationId },
            'Could not follow a conversation',
          );
        }
        if (event.how === 'transferred' && event.fromOperatorId) {
          this.send({
            type: 'inbox.transferred',
            conversationId: event.conversationId,
            fromOperatorId: event.fromOperatorId,
            toOperatorId: event.operatorId,
            version: event.version,
          });
        } else {
          this.send({
            type: 'inbox.assigned',
            conversationId: event.conversationId,
            operatorId: event.operatorId,
            how: event.how === 'transferred' ? 'assigned' : event.how,
            version: event.version,
          });
        }
        return;
      case 'conversation.closed':
        // A closed conversation has nothing more to say: watched or held, it is no longer followed.
        this.watched.delete(event.conversationId);
        this.assigned.delete(event.conversationId);
        await this.unfollow(conversationChannel(event.conversationId));
        this.send({
          type: 'inbox.closed',
          conversationId: event.conversationId,
          closedBy: event.closedBy,
          missed: event.missed,
          version: event.version,
        });
        return;
      case 'presence.changed':
        this.send({ type: 'presence.changed', operatorId: event.operatorId, status: event.status });
        return;
      default:
        assertNever(event);
    }
  }

  private onConversationEvent(event: ConversationEvent): void {
    switch (event.type) {
      case 'message.created':
        if (event.accountId !== this.operator.accountId) return;
        this.deliverMessage(event, this.names);
        return;
      case 'message.deleted':
        if (event.accountId !== this.operator.accountId) return;
        // Queued behind the deliveries before it, so a message is never shown after its deletion.
        this.enqueue(() =>
          this.send({
            type: 'message.deleted',
            conversationId: event.conversationId,
            messageId: event.messageId,
            seq: event.seq,
          }),
        );
        return;
      case 'typing':
        if (event.operatorId === this.operator.operatorId) return;
        this.send({
          type: 'typing',
          conversationId: event.conversationId,
          author: event.author,
          ...(event.operatorId ? { operatorId: event.operatorId } : {}),
          isTyping: event.isTyping,
        });
        return;
      case 'read':
        this.send({ type: 'read', conversationId: event.conversationId, reader: event.reader, seq: event.seq });
        return;
      case 'conversation.closed':
      case 'conversation.assigned':
      case 'queue.position':
        // The account channel tells operators about these, for every conversation at once.
        return;
      default:
        assertNever(event);
    }
  }
}
