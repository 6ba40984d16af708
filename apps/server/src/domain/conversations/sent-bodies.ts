/** How long the body of a message sent through this process stays at hand for its local recipients. */
export const SENT_BODY_TTL_MS = 2_000;

type Sent = { body: string; at: number };
type Generation = Map<string, Sent>;

/**
 * The bodies of the messages this process has just stored, for the sockets of this process that
 * deliver them: they take the body from here instead of opening the sealed copy the event carries
 * (one AES-GCM open per recipient: about 7% of the main thread's time in the relay bench). Kept for
 * two seconds, in memory only, where the text already was while the message was being sent;
 * recipients on other nodes, and any that come later, open the sealed body as before.
 */
export class SentBodies {
  /** Bodies remembered since `currentSince` (the newest at `newestAt`), and the generation before. */
  private current: Generation = new Map();
  private previous: Generation = new Map();
  private currentSince: number;
  private newestAt = Number.NEGATIVE_INFINITY;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly ttlMs = SENT_BODY_TTL_MS,
  ) {
    this.currentSince = now();
  }

  remember(where: { conversationId: string; messageId: string }, body: string): void {
    const at = this.now();
    this.rotate(at);
    this.current.set(key(where), { body, at });
    this.newestAt = at;
    this.scheduleSweep();
  }

  /** How many bodies are kept now, expired ones not yet let go of included. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** The body, while it is kept; `undefined` after that or for a message sent elsewhere. */
  get(where: { conversationId: string; messageId: string }): string | undefined {
    const name = key(where);
    const entry = this.current.get(name) ?? this.previous.get(name);
    return entry && entry.at >= this.now() - this.ttlMs ? entry.body : undefined;
  }

  /**
   * Starts the next generation once the current one is older than the TTL: the one before it holds
   * only expired bodies and goes whole. (Deleting a Map's oldest entries one by one instead leaves
   * holes that every later walk from its start passes again.)
   */
  private rotate(at: number): void {
    if (at - this.currentSince < this.ttlMs) return;
    this.previous = at - this.newestAt > this.ttlMs ? new Map<string, Sent>() : this.current;
    this.current = new Map<string, Sent>();
    this.currentSince = at;
  }

  /** On a quiet server, too, the last bodies go within two or three TTLs. */
  private scheduleSweep(): void {
    if (this.sweep) return;
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      this.rotate(this.now());
      if (this.size > 0) this.scheduleSweep();
    }, this.ttlMs);
    this.sweep.unref();
  }
}

// The conversation is part of the key: an event names both, and only both together find the body.
const key = (where: { conversationId: string; messageId: string }) => `${where.conversationId}/${where.messageId}`;
