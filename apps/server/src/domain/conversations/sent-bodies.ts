/** How long the body of a message sent through this process stays at hand for its local recipients. */
export const SENT_BODY_TTL_MS = 2_000;

/**
 * The bodies of the messages this process has just stored, for the sockets of this process that
 * deliver them: they take the body from here instead of opening the sealed copy the event carries
 * (one AES-GCM open per recipient: about 7% of the main thread's time in the relay bench). Kept for
 * two seconds, in memory only, where the text already was while the message was being sent;
 * recipients on other nodes, and any that come later, open the sealed body as before.
 */
export class SentBodies {
  private readonly bodies = new Map<string, { body: string; at: number }>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly ttlMs = SENT_BODY_TTL_MS,
  ) {}

  remember(where: { conversationId: string; messageId: string }, body: string): void {
    const at = this.now();
    this.forgetOlderThan(at - this.ttlMs);
    this.bodies.set(key(where), { body, at });
  }

  /** How many bodies are kept now, expired ones not yet let go of included. */
  get size(): number {
    return this.bodies.size;
  }

  /** The body, while it is kept; `undefined` after that or for a message sent elsewhere. */
  get(where: { conversationId: string; messageId: string }): string | undefined {
    const entry = this.bodies.get(key(where));
    return entry && entry.at >= this.now() - this.ttlMs ? entry.body : undefined;
  }

  private forgetOlderThan(limit: number): void {
    // A Map iterates in insertion order, which here is the order of `at`: the oldest come first.
    for (const [name, entry] of this.bodies) {
      if (entry.at >= limit) return;
      this.bodies.delete(name);
    }
  }
}

// The conversation is part of the key: an event names both, and only both together find the body.
const key = (where: { conversationId: string; messageId: string }) => `${where.conversationId}/${where.messageId}`;
