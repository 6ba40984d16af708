import WebSocket from 'ws';

/** A test client of a Plauder socket that collects every frame it receives. */
export class SocketClient<Frame extends { type: string }> {
  readonly frames: Frame[] = [];
  /** The close code, once the server closed the socket. */
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    // The server sends text frames of JSON only.
    ws.on('message', (data: Buffer) => this.frames.push(JSON.parse(data.toString('utf8')) as Frame));
    ws.on('close', (code) => {
      this.closeCode = code;
    });
  }

  /** Opens a socket; rejects with the status when the upgrade is refused. */
  static open<Frame extends { type: string }>(
    url: string,
    options: { headers?: Record<string, string>; protocols?: string[] } = {},
  ): Promise<SocketClient<Frame>> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
      const client = new SocketClient<Frame>(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`upgrade refused with ${response.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  /** The subprotocol the server chose ('' for none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * Waits for the first frame (from `from` on) that matches; fails after 15 seconds. The first
   * message of a test context starts its SQLite writer thread, which loads its modules through tsx:
   * seconds on a CI machine whose two cores also run other test files and CLI processes.
   */
  async next<T extends Frame['type']>(
    type: T,
    match: (frame: Extract<Frame, { type: T }>) => boolean = () => true,
    from = 0,
  ): Promise<Extract<Frame, { type: T }>> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = this.frames
        .slice(from)
        .find((f): f is Extract<Frame, { type: T }> => f.type === type && match(f as Extract<Frame, { type: T }>));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`No ${type} frame; got ${this.frames.map((f) => f.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until the server closed the socket; returns the close code. */
  async closed(): Promise<number> {
    const deadline = Date.now() + 15_000;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error('The socket is still open');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closeCode;
  }

  close(): void {
    this.ws.close();
  }
}
