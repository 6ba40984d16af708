import { randomUUID } from 'node:crypto';
import type { ErrorFrame, MessageAckFrame } from '@plauder/protocol';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { z } from 'zod';
import type { Context } from '../context.js';
import { conversationChannel, ConversationEvent } from '../domain/conversations/events.js';
import { AppError } from '../domain/errors.js';
import { parseFrame, refOf as frameRefOf } from './frames.js';
import type { OperatorNames } from '../domain/operators/operator-names.js';
import { messageOfEvent } from './messages.js';
import type { TokenBuckets } from './token-bucket.js';

/** The rate limits a connection shares with the other sockets of its node. */
export interface ConnectionLimits {
  /** Frames per socket. */
  socketLimits: TokenBuckets;
  /** Frames per person (a visitor, an operator), over all of their sockets on this node. */
  personLimits: TokenBuckets;
}

/** How many acknowledged messages a socket remembers, to skip their echoes. */
const OWN_MESSAGES_KEPT = 1000;

/** An accepted socket: the WebSocket, and the stream under it, whose writes a connection gathers. */
export interface AcceptedSocket {
  readonly ws: WebSocket;
  readonly stream: Duplex;
}

/** What the node knows of every open socket: enough to drain it and to find it by its person. */
export interface OpenConnection {
  /** Finishes the frames in flight (their acks go out), then closes the socket with 1001. */
  drain(): Promise<void>;
  /** Settles once the socket closed and its cleanup (such as presence) is done. */
  readonly disposed: Promise<void>;
}

/**
 * The part both socket kinds share: frames are parsed, rate limited and run one after another (so a
 * person's messages are stored in the order sent); bus channels are followed until the socket closes;
 * a frame's failure answers with an error frame that names it, and never ends the socket.
 */
export abstract class Connection<ClientFrame, ServerFrame extends { type: string }> implements OpenConnection {
  private readonly subscriptions = new Map<string, Promise<() => Promise<void>>>();
  private queue: Promise<void> = Promise.resolve();
  /** Set once the socket closed (or is draining): nothing more is sent or followed. */
  protected closed = false;
  private draining = false;
  /** This socket's key in the per-socket rate limit. */
  private readonly socketKey = randomUUID();
  /**
   * Messages this socket sent and had acknowledged: their `message.created` is not sent back to it
   * (the ack carries the same id and seq). Oldest first; an echo that never comes (a lost bus
   * message) is forgotten past OWN_MESSAGES_KEPT.
   */
  private readonly ownMessages = new Set<string>();
  /** Set while this turn of the event loop's writes are gathered (see send). */
  private gathering = false;
  private markDisposed!: () => void;
  readonly disposed = new Promise<void>((resolve) => {
    this.markDisposed = resolve;
  });

  private readonly ws: WebSocket;
  private readonly stream: Duplex;

  constructor(
    protected readonly ctx: Context,
    socket: AcceptedSocket,
    private readonly frames: { schema: z.ZodType<ClientFrame>; knownTypes: ReadonlySet<string> },
    private readonly limits: ConnectionLimits & { personKey: string },
  ) {
    const { ws, stream } = socket;
    this.ws = ws;
    this.stream = stream;
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => void this.dispose());
    // Protocol errors (an oversized frame: 1009) close the socket by themselves; they need no more.
    ws.on('error', (error) => ctx.logger.debug({ err: error }, 'Socket error'));
  }

  /** Runs one parsed frame. */
  protected abstract dispatch(frame: ClientFrame): Promise<void>;

  /** Runs after the socket closed and its subscriptions ended. */
  protected abstract onClosed(): Promise<void>;

  private receive(data: RawData, isBinary: boolean): void {
    // Parsed first, so a refusal names the frame it refuses (a frame is at most maxFrameBytes).
    const parsed = parseFrame(this.frames.schema, this.frames.knownTypes, data, isBinary);
    if ('problem' in parsed) {
      this.sendError(parsed.problem);
      return;
    }
    const ref = refOf(parsed.frame);
    const named = ref ? { ref } : {};
    if (this.draining) {
      this.sendError({
        code: 'unavailable',
        message: 'The server is restarting; send again after reconnecting',
        ...named,
      });
      return;
    }
    if (!this.limits.socketLimits.take(this.socketKey) || !this.limits.personLimits.take(this.limits.personKey)) {
      this.sendError({ code: 'rate_limited', message: 'Too many frames; wait a moment and send again', ...named });
      return;
    }
    this.enqueue(() => this.handle(parsed.frame));
  }

  private async handle(frame: ClientFrame): Promise<void> {
    const ref = refOf(frame);
    try {
      await this.dispatch(frame);
    } catch (error) {
      if (error instanceof AppError) {
        this.sendError({ code: error.code, message: error.message, ...(ref ? { ref } : {}) });
        return;
      }
      this.ctx.logger.error({ err: error, frame: (frame as { type?: string }).type }, 'Socket frame failed');
      this.sendError({ code: 'internal_error', message: 'Something went wrong on our side', ...(ref ? { ref } : {}) });
    }
  }

  /** Runs `work` after everything queued before it: frames and deliveries keep their order. */
  protected enqueue(work: () => unknown): void {
    this.queue = this.queue.then(work).then(
      () => undefined,
      (error: unknown) => this.ctx.logger.error({ err: error }, 'Queued socket work failed'),
    );
  }

  /**
   * Follows a bus channel until the socket closes (or unfollow). A socket that closed follows nothing,
   * and a failed subscribe can be tried again.
   */
  protected async follow(channel: string, onEvent: (message: unknown) => void): Promise<void> {
    if (this.closed || this.subscriptions.has(channel)) return;
    // Once in the map, the subscription is ended by dispose() or unfollow(), whichever comes first.
    const subscription = this.ctx.bus.subscribe(channel, onEvent);
    this.subscriptions.set(channel, subscription);
    try {
      await subscription;
    } catch (error) {
      this.subscriptions.delete(channel);
      throw error;
    }
  }

  /** Whether this socket follows a channel. */
  protected follows(channel: string): boolean {
    return this.subscriptions.has(channel);
  }

  /** Stops following a channel. */
  protected async unfollow(channel: string): Promise<void> {
    const subscription = this.subscriptions.get(channel);
    if (!subscription) return;
    this.subscriptions.delete(channel);
    await (
      await subscription
    )();
  }

  protected send(frame: ServerFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.gatherWrites();
    this.ws.send(JSON.stringify(frame));
  }

  /**
   * Holds this socket's writes until the event loop's turn ends, so the frames of one turn (an ack and
   * the message it acknowledges; the messages of a group commit for an operator) leave in one write
   * call, not one each. The frames and their order are unchanged.
   */
  private gatherWrites(): void {
    if (this.gathering) return;
    this.gathering = true;
    this.stream.cork();
    setImmediate(() => this.flushWrites());
  }

  /** Writes what this turn gathered now: before a close, so that its frames go out ahead of it. */
  private flushWrites(): void {
    if (!this.gathering) return;
    this.gathering = false;
    this.stream.uncork();
  }

  /** Acknowledges a message this socket sent, once it is stored; its echo will not be sent here. */
  protected acknowledge(ack: Omit<MessageAckFrame, 'type'>): void {
    this.ownMessages.add(ack.messageId);
    if (this.ownMessages.size > OWN_MESSAGES_KEPT) {
      for (const oldest of this.ownMessages) {
        this.ownMessages.delete(oldest);
        break;
      }
    }
    // Safe: both server frame unions contain MessageAckFrame.
    this.send({ type: 'message.ack', ...ack } as unknown as ServerFrame);
  }

  /** Follows a conversation's channel; its events reach `onEvent` parsed, an unreadable one is logged. */
  protected followConversationEvents(
    conversationId: string,
    onEvent: (event: ConversationEvent) => void,
  ): Promise<void> {
    return this.follow(conversationChannel(conversationId), (message) => {
      const parsed = ConversationEvent.safeParse(message);
      if (!parsed.success) {
        this.ctx.logger.error({ issues: parsed.error.issues.length }, 'Unreadable event on a conversation channel');
        return;
      }
      onEvent(parsed.data);
    });
  }

  /**
   * Sends a stored message, opened, behind the work queued before it; not to the socket that sent it
   * (its ack, queued ahead of this delivery, carried the same id and seq).
   */
  protected deliverMessage(event: Extract<ConversationEvent, { type: 'message.created' }>, names: OperatorNames): void {
    this.enqueue(async () => {
      if (this.closed || this.ownMessages.delete(event.messageId)) return;
      const message = await messageOfEvent(this.ctx, event, names);
      // Safe: both server frame unions contain MessageCreatedFrame.
      this.send({ type: 'message.created', message } as unknown as ServerFrame);
    });
  }

  private sendError(error: Omit<ErrorFrame, 'type'>): void {
    // Safe: both server frame unions contain ErrorFrame.
    this.send({ type: 'error', ...error } as unknown as ServerFrame);
  }

  /** Closes the socket with a code, as when its credentials ended. */
  protected closeSocket(code: number, reason: string): void {
    this.flushWrites();
    this.ws.close(code, reason);
  }

  async drain(): Promise<void> {
    this.draining = true;
    await this.queue;
    this.flushWrites();
    this.ws.close(1001, 'server restarting');
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
        this.ctx.logger.warn({ err: error }, 'Could not unsubscribe a closed socket');
      }
    }
    // Frames in flight finish first: an operator's socket is unregistered after its last frame ran.
    await this.queue;
    try {
      await this.onClosed();
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'Cleaning up a closed socket failed');
    }
    this.markDisposed();
  }
}

/** The id a frame is answered under in an error: its clientMessageId, ref or conversation id. */
function refOf(frame: unknown): string | undefined {
  const named = frameRefOf(frame);
  if (named !== undefined || typeof frame !== 'object' || frame === null) return named;
  const conversationId = (frame as Record<string, unknown>).conversationId;
  return typeof conversationId === 'string' ? conversationId : undefined;
}
