import type { VisitorClientFrame, VisitorServerFrame } from '@plauder/protocol';
import { backoffMs } from '@plauder/protocol/backoff';
import { ApiError } from './visitor-api.js';

/** Options of the visitor socket. */
export interface VisitorSocketOptions {
  /** `wss://…/ws/v1/visitor`. */
  url: string;
  /** A visitor token for the next attempt; throws ApiError when the session is refused. */
  token: () => Promise<string>;
  onFrame: (frame: VisitorServerFrame) => void;
  /** The socket is lost and comes back after a pause. */
  onReconnecting: () => void;
  /** The session was refused for good (an unknown widget, a site not allowed): no more attempts. */
  onRefused: (code: string) => void;
}

/**
 * The chat window's socket to the installation: the token as a subprotocol (never in the URL), and
 * after every loss a new attempt with backoff. Open only between a `welcome` and the next loss.
 */
export class VisitorSocket {
  private socket: WebSocket | undefined;
  private welcomed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: VisitorSocketOptions) {}

  /** Opens the socket (once; later losses reconnect by themselves). */
  connect(): void {
    if (!this.socket && this.timer === undefined) void this.open();
  }

  /** Sends a frame if the socket is open and welcomed; false when it is not. */
  send(frame: VisitorClientFrame): boolean {
    if (!this.welcomed || this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private async open(): Promise<void> {
    this.timer = undefined;
    try {
      const socket = new WebSocket(this.options.url, ['plauder.v1', `token.${await this.options.token()}`]);
      this.socket = socket;
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        // The installation's frames follow VisitorServerFrame; the window carries no validator (size).
        const frame = JSON.parse(event.data) as VisitorServerFrame;
        if (frame.type === 'welcome') {
          this.welcomed = true;
          this.attempts = 0;
        }
        this.options.onFrame(frame);
      };
      socket.onclose = () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        // The token's expiry is checked before each attempt (token()), so an upgrade that fails
        // is a server or network away for now: try again, keeping the visitor and the outbox.
        this.welcomed = false;
        this.retry();
      };
    } catch (error) {
      if (error instanceof ApiError && !error.retryable) {
        this.options.onRefused(error.code);
        return;
      }
      this.retry();
    }
  }

  private retry(): void {
    this.options.onReconnecting();
    this.timer = setTimeout(() => void this.open(), backoffMs(this.attempts++));
  }
}
