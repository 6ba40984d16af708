import { randomUUID } from 'node:crypto';
import { assertNever, PROTOCOL_VERSION, VisitorClientFrame, type VisitorServerFrame } from '@plauder/protocol';
import type { RawData, WebSocket } from 'ws';
import type { Context } from '../context.js';
import type { VisitorTokenClaims } from '../crypto/visitor-token.js';
import { announce } from '../domain/conversations/announce.js';
import { conversationChannel, ConversationEvent } from '../domain/conversations/events.js';
import { closeConversation } from '../domain/conversations/close-conversation.js';
import { rateConversation } from '../domain/conversations/rate-conversation.js';
import { sendMessage } from '../domain/conversations/send-message.js';
import { startConversation } from '../domain/conversations/start-conversation.js';
import { AppError, notFound } from '../domain/errors.js';
import { findConversationState } from '../storage/conversations-repository.js';
import { listMessages } from '../storage/messages-repository.js';
import { getOperator } from '../storage/operators-repository.js';
import { openField } from '../storage/sealed-store.js';
import { parseFrame } from './frames.js';
import type { TokenBuckets } from './token-bucket.js';

const knownTypes = new Set<string>(VisitorClientFrame.options.map((o) => o.shape.type.value));

/** What a visitor connection needs besides the context: the rate limits it shares with its node. */
export interface VisitorConnectionOptions {
  /** Frames per socket. */
  socketLimits: TokenBuckets;
  /** Frames per visitor, over all of its sockets on this node. */
  visitorLimits: TokenBuckets;
}

/**
 * One chat window's socket: parses its frames, runs them one after another (so a visitor's messages
 * are stored in the order sent), and forwards the events of its conversations from the bus.
 */
export class VisitorConnection {
  private readonly subscriptions = new Map<string, Promise<() => Promise<void>>>();
  private readonly operatorNames = new Map<string, string>();
  /** Conversations checked to be this visitor's: the only ones this socket may follow. */
  private readonly owned = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** This socket's key in the per-socket rate limit. */
  private readonly socketKey = randomUUID();

  constructor(
    private readonly ctx: Context,
    private readonly ws: WebSocket,
    private readonly visitor: VisitorTokenClaims,
    private readonly options: VisitorConnectionOptions,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => void this.dispose());
    // Protocol errors (an oversized frame: 1009) close the socket by themselves; they need no more.
    ws.on('error', (error) => ctx.logger.debug({ err: error }, 'Visitor socket error'));
    this.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      visitorId: visitor.visitorId,
      limits: { maxMessageChars: ctx.config.maxMessageChars, maxFrameBytes: ctx.config.maxFrameBytes },
    });
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (!this.options.socketLimits.take(this.socketKey) || !this.options.visitorLimits.take(this.visitor.visitorId)) {
      this.send({ type: 'error', code: 'rate_limited', message: 'Too many frames; wait a moment and send again' });
      return;
    }
    const parsed = parseFrame(VisitorClientFrame, knownTypes, data, isBinary);
    if ('problem' in parsed) {
      this.send({ type: 'error', ...parsed.problem });
      return;
    }
    this.queue = this.queue.then(() => this.handle(parsed.frame));
  }

  private async handle(frame: VisitorClientFrame): Promise<void> {
    const ref =
      'clientMessageId' in frame && frame.clientMessageId
        ? frame.clientMessageId
        : 'ref' in frame
          ? frame.ref
          : undefined;
    try {
      await this.dispatch(frame);
    } catch (error) {
      if (error instanceof AppError) {
        this.send({ type: 'error', code: error.code, message: error.message, ...(ref ? { ref } : {}) });
        return;
      }
      this.ctx.logger.error({ err: error, frame: frame.type }, 'Visitor frame failed');
      this.send({
        type: 'error',
        code: 'internal_error',
        message: 'Something went wrong on our side',
        ...(ref ? { ref } : {}),
      });
    }
  }

  private async dispatch(frame: VisitorClientFrame): Promise<void> {
    switch (frame.type) {
      case 'conversation.start': {
        const started = await startConversation(this.ctx, { visitor: this.visitor });
        this.owned.add(started.conversationId);
        await this.follow(started.conversationId);
        this.send({
          type: 'conversation.started',
          ref: frame.ref,
          conversationId: started.conversationId,
          status: 'waiting',
          queuePosition: started.queuePosition,
        });
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
        await this.follow(frame.conversationId);
        await this.sendAndAck(frame);
        return;
      case 'resume':
        await this.resume(frame.conversationId, frame.sinceSeq);
        return;
      case 'typing':
        await this.ownConversation(frame.conversationId);
        await announce(this.ctx, conversationChannel(frame.conversationId), {
          type: 'typing',
          conversationId: frame.conversationId,
          author: 'visitor',
          isTyping: frame.isTyping,
        } satisfies ConversationEvent);
        return;
      case 'read':
        await this.ownConversation(frame.conversationId);
        await announce(this.ctx, conversationChannel(frame.conversationId), {
          type: 'read',
          conversationId: frame.conversationId,
          reader: 'visitor',
          seq: frame.seq,
        } satisfies ConversationEvent);
        return;
      case 'conversation.end': {
        await this.ownConversation(frame.conversationId);
        await this.follow(frame.conversationId);
        const { accountId, visitorId } = this.visitor;
        const closed = await closeConversation(this.ctx, {
          by: { kind: 'visitor', accountId, visitorId },
          conversationId: frame.conversationId,
        });
        // A first close reaches every window of the conversation through the bus; a repeated one
        // changed nothing and says so.
        if (closed.alreadyClosed) throw new AppError('conversation_closed', 'This conversation is closed already');
        return;
      }
      case 'conversation.rate': {
        const { accountId, visitorId } = this.visitor;
        await rateConversation(this.ctx, {
          visitor: { accountId, visitorId },
          conversationId: frame.conversationId,
          rating: frame.rating,
          comment: frame.comment,
        });
        this.send({ type: 'conversation.rated', conversationId: frame.conversationId });
        return;
      }
      case 'offline-message.send':
        // TODO(#3): offline messages arrive with routing, which decides when nobody is available.
        throw new AppError('unavailable', `${frame.type} is not served by this version yet`);
      case 'ping':
        this.send({ type: 'pong' });
        return;
      default:
        assertNever(frame);
    }
  }

  private async sendAndAck(input: { conversationId: string; clientMessageId: string; body: string }): Promise<void> {
    const { accountId, visitorId } = this.visitor;
    const sent = await sendMessage(this.ctx, { author: { kind: 'visitor', accountId, visitorId }, ...input });
    this.send({
      type: 'message.ack',
      clientMessageId: input.clientMessageId,
      conversationId: input.conversationId,
      messageId: sent.messageId,
      seq: sent.seq,
    });
  }

  /** Checks that a conversation is this visitor's; unknown and other people's ids answer alike. */
  private async ownConversation(conversationId: string): Promise<void> {
    const state = await findConversationState(this.ctx.database.db, {
      accountId: this.visitor.accountId,
      conversationId,
    });
    if (!state || state.visitorId !== this.visitor.visitorId) throw notFound('conversation', conversationId);
    this.owned.add(conversationId);
  }

  /** Replays what the visitor missed after `sinceSeq`, then follows the conversation live. */
  private async resume(conversationId: string, sinceSeq: number): Promise<void> {
    await this.ownConversation(conversationId);
    // Subscribe first: an event that arrives during the replay is sent twice at worst, never lost;
    // the window drops a seq it has already shown.
    await this.follow(conversationId);
    let lastSeq = sinceSeq;
    for (;;) {
      const page = await listMessages(this.ctx.store, {
        accountId: this.visitor.accountId,
        conversationId,
        afterSeq: lastSeq,
        limit: 200,
      });
      for (const message of page) {
        lastSeq = message.seq;
        if (message.kind === 'note') continue;
        this.send({
          type: 'message.created',
          message: {
            id: message.id,
            conversationId,
            seq: message.seq,
            authorKind: message.authorKind,
            kind: message.kind,
            body: message.body,
            createdAt: message.createdAt,
            ...(message.operatorId ? { operatorName: await this.operatorName(message.operatorId) } : {}),
          },
        });
      }
      if (page.length < 200) break;
    }
    this.send({ type: 'resumed', conversationId, lastSeq });
  }

  /**
   * Follows a conversation's events. Only conversations proven to be this visitor's are followed;
   * a socket that closed meanwhile follows nothing, and a failed subscribe can be tried again.
   */
  private async follow(conversationId: string): Promise<void> {
    if (!this.owned.has(conversationId)) throw notFound('conversation', conversationId);
    if (this.closed || this.subscriptions.has(conversationId)) return;
    const subscription = this.ctx.bus.subscribe(conversationChannel(conversationId), (message) =>
      this.deliver(message),
    );
    this.subscriptions.set(conversationId, subscription);
    let unsubscribe: () => Promise<void>;
    try {
      unsubscribe = await subscription;
    } catch (error) {
      this.subscriptions.delete(conversationId);
      throw error;
    }
    // The socket closed while the subscription was being made: dispose() has run already.
    if (this.closed) await unsubscribe();
  }

  private deliver(message: unknown): void {
    const parsed = ConversationEvent.safeParse(message);
    if (!parsed.success) {
      this.ctx.logger.error({ issues: parsed.error.issues.length }, 'Unreadable event on a conversation channel');
      return;
    }
    const event = parsed.data;
    switch (event.type) {
      case 'message.created':
        if (event.kind === 'note' || event.accountId !== this.visitor.accountId) return;
        this.queue = this.queue.then(() => this.deliverMessage(event));
        return;
      case 'typing':
        if (event.author === 'operator')
          this.send({ type: 'typing', conversationId: event.conversationId, isTyping: event.isTyping });
        return;
      case 'read':
        if (event.reader === 'operator')
          this.send({ type: 'read', conversationId: event.conversationId, seq: event.seq });
        return;
      case 'conversation.closed':
        // Queued behind message deliveries, so the window sees the last messages before the close.
        this.queue = this.queue.then(() =>
          this.send({ type: 'conversation.closed', conversationId: event.conversationId, closedBy: event.closedBy }),
        );
        return;
      default:
        assertNever(event);
    }
  }

  private async deliverMessage(event: Extract<ConversationEvent, { type: 'message.created' }>): Promise<void> {
    if (this.closed) return;
    try {
      const body = await openField(this.ctx.store, Buffer.from(event.bodySealed, 'base64'), {
        accountId: event.accountId,
        table: 'messages',
        column: 'body_sealed',
        rowId: event.messageId,
      });
      this.send({
        type: 'message.created',
        message: {
          id: event.messageId,
          conversationId: event.conversationId,
          seq: event.seq,
          authorKind: event.authorKind,
          kind: event.kind,
          body: body ?? '',
          createdAt: event.createdAt,
          ...(event.operatorId ? { operatorName: await this.operatorName(event.operatorId) } : {}),
        },
      });
    } catch (error) {
      this.ctx.logger.error({ err: error, conversationId: event.conversationId }, 'Could not deliver a message');
    }
  }

  private async operatorName(operatorId: string): Promise<string> {
    const known = this.operatorNames.get(operatorId);
    if (known !== undefined) return known;
    const operator = await getOperator(this.ctx.store, { accountId: this.visitor.accountId, operatorId });
    const name = operator?.displayName ?? 'Operator';
    this.operatorNames.set(operatorId, name);
    return name;
  }

  private send(frame: VisitorServerFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  private async dispose(): Promise<void> {
    this.closed = true;
    const subscriptions = [...this.subscriptions.values()];
    this.subscriptions.clear();
    for (const subscription of subscriptions) {
      try {
        await (
          await subscription
        )();
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'Could not unsubscribe a closed visitor socket');
      }
    }
  }
}
