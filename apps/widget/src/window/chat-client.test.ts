import { VisitorClientFrame, type WidgetConfig } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient } from './chat-client.js';

/** A stand-in for the browser's WebSocket: it records what the window sends. */
class FakeSocket {
  static readonly OPEN = 1;
  static last: FakeSocket | undefined;
  readyState = FakeSocket.OPEN;
  readonly sent: unknown[] = [];
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;

  constructor() {
    FakeSocket.last = this;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  /** The server says something. */
  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const config = {
  v: 1,
  publicKey: 'pk_0123456789abcdef',
  apiUrl: 'https://chat.example.test',
  privacy: { optIn: true, policyUrl: null },
} as unknown as WidgetConfig;

async function connectedClient(
  pageUrl?: string,
  welcome: { transcriptByEmail?: boolean } = {},
): Promise<{ client: ChatClient; socket: FakeSocket }> {
  const client = new ChatClient({
    config,
    siteOrigin: 'https://shop.example.test',
    saved: null,
    ...(pageUrl ? { pageUrl } : {}),
    persist: () => undefined,
    onOperatorMessage: () => undefined,
    onLifecycle: () => undefined,
  });
  client.connect();
  await vi.waitFor(() => expect(FakeSocket.last).toBeDefined());
  const socket = FakeSocket.last as FakeSocket;
  socket.receive({
    type: 'welcome',
    v: 1,
    visitorId: 'v1',
    limits: { maxMessageChars: 4000, maxFrameBytes: 65536 },
    operatorsAvailable: true,
    ...welcome,
  });
  return { client, socket };
}

describe('the chat window starting a conversation', () => {
  beforeEach(() => {
    FakeSocket.last = undefined;
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('navigator', { language: 'de-DE' });
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          new Response(JSON.stringify({ token: 'vt', visitorId: 'v1', expiresAt: Date.now() + 3_600_000 }), {
            status: 201,
          }),
        ),
      ),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("tells where the visitor is: the loader's page, the browser's language and time zone", async () => {
    const { client, socket } = await connectedClient('https://shop.example.test/cart');
    client.giveConsent('en-1');
    client.send('Hello');
    const [start] = socket.sent;
    expect(start).toMatchObject({
      type: 'conversation.start',
      body: 'Hello',
      consent: { version: 'en-1' },
      context: {
        pageUrl: 'https://shop.example.test/cart',
        language: 'de-DE',
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      },
    });
    expect(VisitorClientFrame.safeParse(start).success).toBe(true);
  });

  it('leaves out what it does not know or what is past the bounds, so the start is never refused for it', async () => {
    vi.stubGlobal('navigator', { language: 'x'.repeat(36) });
    const { client, socket } = await connectedClient();
    client.giveConsent('en-1');
    client.send('Hello');
    const [start] = socket.sent as { context: object }[];
    expect(start?.context).toEqual({ timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
    expect(VisitorClientFrame.safeParse(start).success).toBe(true);
  });

  it("fetches the visitor's own data with its token as a bearer header, never with cookies", async () => {
    const { client } = await connectedClient();
    const zip = new Blob([new Uint8Array([0x50, 0x4b, 3, 4])], { type: 'application/zip' });
    const fetched = vi.fn((_url: string, _init: RequestInit) => Promise.resolve(new Response(zip, { status: 200 })));
    vi.stubGlobal('fetch', fetched);
    expect((await client.fetchOwnData()).size).toBe(4);
    expect(fetched).toHaveBeenCalledWith('https://chat.example.test/api/v1/visitor/export', {
      headers: { authorization: 'Bearer vt' },
      credentials: 'omit',
    });
  });

  it('asks for the transcript by email once, and may ask again after a refusal', async () => {
    const conversationId = '0190c1e2-0000-7000-8000-000000000001';
    const { client, socket } = await connectedClient(undefined, { transcriptByEmail: true });
    expect(client.state.transcriptByEmail).toBe(true);
    client.giveConsent('en-1');
    client.send('Hello');
    const [start] = socket.sent as { ref: string }[];
    socket.receive({
      type: 'conversation.started',
      ref: start?.ref,
      conversationId,
      status: 'waiting',
      queuePosition: 1,
    });
    socket.receive({ type: 'conversation.closed', conversationId });

    client.requestTranscript('grace@example.test');
    client.requestTranscript('grace@example.test');
    const asked = socket.sent.filter((frame) => (frame as { type: string }).type === 'transcript.request');
    expect(asked).toEqual([{ type: 'transcript.request', conversationId, email: 'grace@example.test' }]);
    expect(VisitorClientFrame.safeParse(asked[0]).success).toBe(true);
    expect(client.state.transcriptEmail).toBe('sending');

    socket.receive({ type: 'error', code: 'function_inactive', message: 'No', ref: conversationId });
    expect(client.state).toMatchObject({ transcriptEmail: 'idle', error: 'function_inactive' });
    client.requestTranscript('grace@example.test');
    socket.receive({ type: 'transcript.requested', conversationId });
    expect(client.state).toMatchObject({ transcriptEmail: 'sent', error: null });

    // A new conversation may have its own transcript; the welcome's offer stays.
    client.reset();
    expect(client.state).toMatchObject({ transcriptEmail: 'idle', transcriptByEmail: true });
  });
});
