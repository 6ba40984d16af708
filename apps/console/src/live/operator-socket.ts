/**
 * The console's socket to the installation (`/ws/v1/operator`, authenticated by the session cookie):
 * after every loss a new attempt with backoff, until the session itself is gone (close code 4001,
 * or an upgrade refused while the API says the session ended).
 */
import type { OperatorClientFrame, OperatorServerFrame } from '@plauder/protocol';
import { backoffMs } from '@plauder/protocol/backoff';

/** Where the socket stands, for the connection banner. */
export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** Options of the operator socket. */
export interface OperatorSocketOptions {
  onFrame: (frame: OperatorServerFrame) => void;
  onState: (state: SocketState) => void;
  /** The server closed the socket because the session ended: no more attempts until `connect`. */
  onSessionEnded: () => void;
}

/** Closed by the server: the session expired, was logged out, or the operator was removed. */
const SESSION_ENDED = 4001;

/** The operator socket. */
export class OperatorSocket {
  private socket: WebSocket | undefined;
  private welcomed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;

  constructor(private readonly options: OperatorSocketOptions) {}

  /** Opens the socket; later losses reconnect by themselves until `stop`. */
  connect(): void {
    this.stopped = false;
    if (!this.socket && this.timer === undefined) this.open();
  }

  /** Closes the socket and makes no further attempt. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.welcomed = false;
    socket?.close(1000);
    this.options.onState('stopped');
  }

  /** Drops the socket as a lost network would (tests and the "reconnect now" button). */
  reconnectNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.welcomed = false;
    socket?.close(1000);
    if (!this.stopped) this.open();
  }

  /** Sends a frame if the socket is open and welcomed; false when it is not. */
  send(frame: OperatorClientFrame): boolean {
    if (!this.welcomed || this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private open(): void {
    this.timer = undefined;
    this.options.onState(this.attempts === 0 ? 'connecting' : 'reconnecting');
    const url = new URL('/ws/v1/operator', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, ['plauder.v1']);
    this.socket = socket;
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket || typeof event.data !== 'string') return;
      // The installation's frames follow OperatorServerFrame; the console carries no validator (size).
      const frame = JSON.parse(event.data) as OperatorServerFrame;
      if (frame.type === 'welcome') {
        this.welcomed = true;
        this.attempts = 0;
        this.options.onState('open');
      }
      this.options.onFrame(frame);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.welcomed = false;
      if (event.code === SESSION_ENDED) {
        this.stop();
        this.options.onSessionEnded();
        return;
      }
      if (this.stopped) return;
      this.options.onState('reconnecting');
      this.timer = setTimeout(() => this.open(), backoffMs(this.attempts++));
    };
  }
}
