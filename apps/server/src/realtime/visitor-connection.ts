import { assertNever, PROTOCOL_VERSION, VisitorClientFrame, type VisitorServerFrame } from '@plauder/protocol';
import type { Context } from '../context.js';
import type { VisitorTokenClaims } from '../crypto/visitor-token.js';
import { identifyVisitor } from '../domain/contacts/identify-visitor.js';
import { announceRead, announceTyping } from '../domain/conversations/announce-activity.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { eraseConversation } from '../domain/conversations/erase-conversation.js';
import { conversationChannel, type ConversationEvent } from '../domain/conversations/events.js';
import { getQueueStanding } from '../domain/conversations/get-inbox.js';
import { leaveOfflineMessage } from '../domain/conversations/leave-offline-message.js';
import { rateConversation } from '../domain/conversations/rate-conversation.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { AppError, notFound } from '../domain/errors.js';
import { operatorsAvailable } from '../domain/routing/operators-available.js';
import { findConversationState } from '../storage/conversations-repository.js';
import type { AccountStatuses, TerminationListener } from './account-status.js';
import { Connection, type AcceptedSocket, type ConnectionLimits } from './connection.js';
import { OperatorNames } from '../domain/operators/operator-names.js';
import { replayMessages } from './messages.js';
import { ShownVersions } from './shown-versions.js';
import { requestTranscript } from '../domain/deliveries/request-transcript.js';
import { emailRuns } from '../domain/deliveries/queue-deliveries.js';

const frames = {
  schema: VisitorClientFrame,
  knownTypes: new Set<string>(VisitorClientFrame.options.map((o) => o.shape.type.value)),
};

/**
 * The frames a window may still send once its account is terminated: it reads, ends and erases its
 * conversations (P4 holds at any time; ending stores nothing new, and an erasure closes one anyway).
 * Every other frame would store or announce something new and answers `account_terminated`.
 */
const GRACE_PERIOD_FRAMES = new Set<VisitorClientFrame['type']>([
  'resume',
  'read',
  'ping',
  'conversation.end',
  'conversation.delete',
]);

/**
 * The close code for a window whose account was terminated just now. It may reconnect with its
 * token: the new socket's welcome says no operator is available, and it may read, end and erase.
 */
export const ACCOUNT_TERMINATED_CLOSE_CODE = 4003;

/** What a visitor socket opens with. */
export interface VisitorSocketOptions {
  visitor: VisitorTokenClaims;
  /** The client address of the upgrade request, by the installation's trusted-proxy rules. */
  clientAddress: string;
  limits: ConnectionLimits;
  /** The node's account statuses: every frame that writes is checked against them. */
  accounts: AccountStatuses;
}

/**
 * One chat window's socket: runs its frames and forwards the events of its own conversations — never
 * internal notes, never another visitor's conversation.
 */
export class VisitorConnection
  extends Connection<VisitorClientFrame, VisitorServerFrame>
  implements TerminationListener
{
  private readonly names: OperatorNames;
  /** Conversations checked to be this visitor's: the only ones this socket may follow. */
  private readonly owned = new Set<string>();
  /** What the window was shown of each conversation: an event older than that is dropped. */
  private readonly shown = new ShownVersions();

  private readonly visitor: VisitorTokenClaims;
  /** The address the socket came from: kept in memory, stored only where the account shows IPs. */
  private readonly clientAddress: string;
  private readonly accounts: AccountStatuses;

  private constructor(ctx: Context, socket: AcceptedSocket, options: VisitorSocketOptions) {
    super(ctx, socket, frames, { ...options.limits, personKey: `visitor:${options.visitor.visitorId}` });
    this.visitor = options.visitor;
    this.clientAddress = options.clientAddress;
    this.accounts = options.accounts;
    this.names = new OperatorNames(ctx, options.visitor.accountId);
  }

  /**
   * Opens a visitor's socket: it says welcome, with the limits and whether anyone is there to chat
   * (nobody, in a terminated account). Frames that arrive meanwhile queue behind the welcome.
   */
  static open(ctx: Context, socket: AcceptedSocket, options: VisitorSocketOptions): VisitorConnection {
    const { visitor } = options;
    const connection = new VisitorConnection(ctx, socket, options);
    connection.enqueue(async () =>
      connection.send({
        type: 'welcome',
        v: PROTOCOL_VERSION,
        visitorId: visitor.visitorId,
        limits: { maxMessageChars: ctx.config.maxMessageChars, maxFrameBytes: ctx.config.maxFrameBytes },
        operatorsAvailable:
          !(await options.accounts.isTerminated(visitor.accountId)) &&
          (await operatorsAvailable(ctx, { accountId: visitor.accountId })),
        transcriptByEmail: await emailRuns(ctx, visitor.accountId),
      }),
    );
    return connection;
  }

  /** Closes the window's socket after the frames in flight, with ACCOUNT_TERMINATED_CLOSE_CODE. */
  accountTerminated(): void {
    this.enqueue(() => this.closeSocket(ACCOUNT_TERMINATED_CLOSE_CODE, 'account_terminated'));
  }

  protected async dispatch(frame: VisitorClientFrame): Promise<void> {
    const { accountId, visitorId } = this.visitor;
    // Checked against the node's statuses, not the database: this is every message's path.
    if (!GRACE_PERIOD_FRAMES.has(frame.type)) await this.accounts.assertActive(accountId);
    switch (frame.type) {
      case 'conversation.start': {
        const started = await startConversation(this.ctx, {
          visitor: this.visitor,
          ref: frame.ref,
          ...(frame.consent ? { consent: frame.consent } : {}),
          ...(frame.context ? { context: frame.context } : {}),
          clientAddress: this.clientAddress,
        });
        this.owned.add(started.conversationId);
        await this.followConversation(started.conversationId);
        // Read after following: routing may have given it to an operator meanwhile, on any node.
        const standing = await getQueueStanding(this.ctx, { accountId, conversationId: started.conversationId });
        if (standing.version !== null) this.shown.admit(started.conversationId, standing.version);
        this.send({
          type: 'conversation.started',
          ref: frame.ref,
          conversationId: started.conversationId,
          status: standing.status,
          queuePosition: standing.queuePosition,
        });
        if (standing.operatorId) {
          this.send({
            type: 'conversation.assigned',
            conversationId: started.conversationId,
            operatorName: await this.names.of(standing.operatorId),
          });
        }
        if (frame.body && frame.clientMessageId) {
          await this.sendAndAck({
            conversationId: started.conversationId,
            clientMessageId: frame.clientMessageId,
            body: frame.body,
          });
        }
        return;
      }
      case 'message.send':
        // Followed before the send, so nothing published meanwhile is missed.
        await this.ownConversation(frame.conversationId);
        await this.followConversation(frame.conversationId);
        await this.sendAndAck(frame);
        return;
      case 'resume': {
        await this.ownConversation(frame.conversationId);
        // Subscribe first: an event that arrives during the replay is sent twice at worst, never lost;
        // the window drops a seq it has already shown.
        await this.followConversation(frame.conversationId);
        const lastSeq = await replayMessages(this.ctx, {
          accountId,
          conversationId: frame.conversationId,
          sinceSeq: frame.sinceSeq,
          withNotes: false,
          names: this.names,
          send: (message) => this.send({ type: 'message.created', message }),
        });
        // Read after the replay, like a start: what stands now, so the window needs no other frame.
        const standing = await getQueueStanding(this.ctx, { accountId, conversationId: frame.conversationId });
        if (standing.version !== null) this.shown.admit(frame.conversationId, standing.version);
        this.send({
          type: 'resumed',
          conversationId: frame.conversationId,
          lastSeq,
          status: standing.status,
          queuePosition: standing.queuePosition,
          operatorName: standing.operatorId ? await this.names.of(standing.operatorId) : null,
        });
        return;
      }
      case 'typing':
        await this.ownConversation(frame.conversationId);
        await announceTyping(this.ctx, { ...frame, by: { kind: 'visitor' } });
        return;
      case 'read':
        await this.ownConversation(frame.conversationId);
        await announceRead(this.ctx, { ...frame, by: { kind: 'visitor' } });
        return;
      case 'conversation.end': {
        await this.ownConversation(frame.conversationId);
        await this.followConversation(frame.conversationId);
        const closed = await closeConversation(this.ctx, {
          by: { kind: 'visitor', accountId, visitorId },
          conversationId: frame.conversationId,
        });
        // A first close reaches every window of the conversation through the bus; a repeated one
        // changed nothing and says so.
        if (closed.alreadyClosed) throw new AppError('conversation_closed', 'This conversation is closed already');
        return;
      }
      case 'conversation.rate':
        await rateConversation(this.ctx, {
          visitor: { accountId, visitorId },
          conversationId: frame.conversationId,
          rating: frame.rating,
          comment: frame.comment,
        });
        this.send({ type: 'conversation.rated', conversationId: frame.conversationId });
        return;
      case 'offline-message.send':
        await leaveOfflineMessage(this.ctx, {
          visitor: this.visitor,
          clientMessageId: frame.clientMessageId,
          body: frame.body,
          ...(frame.email ? { email: frame.email } : {}),
          ...(frame.consent ? { consent: frame.consent } : {}),
        });
        this.send({ type: 'offline-message.ack', clientMessageId: frame.clientMessageId });
        return;
      case 'contact.identify':
        await identifyVisitor(this.ctx, {
          visitor: this.visitor,
          conversationId: frame.conversationId,
          ...(frame.name === undefined ? {} : { name: frame.name }),
          ...(frame.email === undefined ? {} : { email: frame.email }),
        });
        this.send({ type: 'contact.identified', conversationId: frame.conversationId });
        return;
      case 'conversation.delete':
        await eraseConversation(this.ctx, {
          conversationId: frame.conversationId,
          by: { kind: 'visitor', accountId, visitorId },
        });
        // Gone: this window follows it no more, and a close the erasure made is not sent after this answer.
        this.owned.delete(frame.conversationId);
        await this.unfollow(conversationChannel(frame.conversationId));
        this.send({ type: 'conversation.deleted', conversationId: frame.conversationId });
        return;
      case 'transcript.request':
        await requestTranscript(this.ctx, {
          visitor: this.visitor,
          conversationId: frame.conversationId,
          email: frame.email,
        });
        this.send({ type: 'transcript.requested', conversationId: frame.conversationId });
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      default:
        assertNever(frame);
    }
  }

  protected async onClosed(): Promise<void> {
    // A visitor leaves no state behind on the node: the subscriptions ended with the socket.
  }

  private async sendAndAck(input: { conversationId: string; clientMessageId: string; body: string }): Promise<void> {
    const { accountId, visitorId } = this.visitor;
    const sent = await sendMessage(this.ctx, { author: { kind: 'visitor', accountId, visitorId }, ...input });
    this.acknowledge({
      clientMessageId: input.clientMessageId,
      conversationId: input.conversationId,
      messageId: sent.messageId,
      seq: sent.seq,
    });
  }

  /** Checks that a conversation is this visitor's; unknown and other people's ids answer alike. */
  private async ownConversation(conversationId: string): Promise<void> {
    if (this.owned.has(conversationId)) return;
    const state = await findConversationState(this.ctx.database.db, {
      accountId: this.visitor.accountId,
      conversationId,
    });
    if (!state || state.visitorId !== this.visitor.visitorId) throw notFound('conversation', conversationId);
    this.owned.add(conversationId);
  }

  /** Follows a conversation's events; only conversations proven to be this visitor's. */
  private async followConversation(conversationId: string): Promise<void> {
    if (!this.owned.has(conversationId)) throw notFound('conversation', conversationId);
    await this.followConversationEvents(conversationId, (event) => this.deliver(event));
  }

  private deliver(event: ConversationEvent): void {
    switch (event.type) {
      case 'message.created':
        if (event.kind === 'note' || event.accountId !== this.visitor.accountId) return;
        this.deliverMessage(event, this.names);
        return;
      case 'message.deleted':
        // The window keeps what it showed: a deletion removes the stored copy, not the visitor's screen.
        return;
      case 'typing':
        if (event.author === 'operator')
          this.send({ type: 'typing', conversationId: event.conversationId, isTyping: event.isTyping });
        return;
      case 'read':
        if (event.reader === 'operator')
          this.send({ type: 'read', conversationId: event.conversationId, seq: event.seq });
        return;
      case 'conversation.assigned':
        if (!this.shown.admit(event.conversationId, event.version)) return;
        this.enqueue(async () =>
          this.send({
            type: 'conversation.assigned',
            conversationId: event.conversationId,
            operatorName: await this.names.of(event.operatorId),
          }),
        );
        return;
      case 'queue.position':
        if (!this.shown.admit(event.conversationId, event.version)) return;
        this.send({ type: 'queue.position', conversationId: event.conversationId, position: event.position });
        return;
      case 'conversation.closed':
        if (!this.shown.admit(event.conversationId, event.version)) return;
        // Queued behind message deliveries, so the window sees the last messages before the close; not
        // sent once the window erased the conversation meanwhile.
        this.enqueue(() => {
          if (!this.owned.has(event.conversationId)) return;
          this.send({ type: 'conversation.closed', conversationId: event.conversationId, closedBy: event.closedBy });
        });
        return;
      default:
        assertNever(event);
    }
  }
}
