import type { Context } from '../context.js';
import {
  ACCOUNTS_CHANNEL,
  AccountLifecycleEvent,
  isAccountTerminated,
  visitorRefusal,
} from '../domain/accounts/terminate-account.js';

/**
 * How long a node trusts an account status it read, in milliseconds. It bounds how long a termination
 * the bus did not bring (Redis away, or `plauder account terminate` run without REDIS_URL) and a
 * restore take to reach the chat windows on this node.
 */
export const ACCOUNT_STATUS_MAX_AGE_MS = 5_000;

/** Past this many remembered accounts, a read first forgets those older than the maximum age. */
const PRUNE_ABOVE = 1_000;

/** A socket that must learn of its account's termination. */
export interface TerminationListener {
  /** The account was terminated just now. */
  accountTerminated(): void;
}

/**
 * The node's view of which accounts are terminated, for the visitor sockets: a chat window may send
 * many frames a minute, and a primary-key read per message would sit on the hot path. A status is read
 * at most once per ACCOUNT_STATUS_MAX_AGE_MS per account; a termination announced on the bus counts
 * at once, and reaches the listening sockets of its account.
 */
export class AccountStatuses {
  /** The last read per account: when (on `now`'s clock) and what it found, shared by concurrent asks. */
  private readonly known = new Map<string, { at: number; terminated: Promise<boolean> }>();
  private readonly listeners = new Map<string, Set<TerminationListener>>();
  private readonly subscription: Promise<(() => Promise<void>) | undefined>;

  /** Follows ACCOUNTS_CHANNEL until close(); `now` is in milliseconds, on any monotonic clock. */
  constructor(
    private readonly ctx: Context,
    private readonly options: { maxAgeMs: number; now: () => number },
  ) {
    this.subscription = ctx.bus
      .subscribe(ACCOUNTS_CHANNEL, (message) => this.onEvent(message))
      .catch((error: unknown) => {
        // Not fatal: every status is read again within the maximum age.
        ctx.logger.error({ err: error }, 'Could not follow account terminations; windows learn of them by reading');
        return undefined;
      });
  }

  /** Settles once the node follows the terminations announced on the bus (or failed to, logged). */
  async following(): Promise<void> {
    await this.subscription;
  }

  /** Throws the chat window's `account_terminated` when the account is terminated. */
  async assertActive(accountId: string): Promise<void> {
    if (await this.isTerminated(accountId)) throw visitorRefusal();
  }

  /** Whether the account is terminated, as read at most the maximum age ago or announced since. */
  async isTerminated(accountId: string): Promise<boolean> {
    const now = this.options.now();
    const known = this.known.get(accountId);
    if (known && now - known.at < this.options.maxAgeMs) return known.terminated;
    this.prune(now);
    const terminated = isAccountTerminated(this.ctx, { accountId });
    this.known.set(accountId, { at: now, terminated });
    try {
      return await terminated;
    } catch (error) {
      // A failed read is not remembered: the next frame reads again.
      if (this.known.get(accountId)?.terminated === terminated) this.known.delete(accountId);
      throw error;
    }
  }

  /** Tells `listener` when its account is terminated, until the returned function is called. */
  listen(accountId: string, listener: TerminationListener): () => void {
    const ofAccount = this.listeners.get(accountId) ?? new Set();
    this.listeners.set(accountId, ofAccount);
    ofAccount.add(listener);
    return () => {
      const current = this.listeners.get(accountId);
      current?.delete(listener);
      if (current?.size === 0) this.listeners.delete(accountId);
    };
  }

  /** Stops following the bus. */
  async close(): Promise<void> {
    const unsubscribe = await this.subscription;
    await unsubscribe?.();
  }

  private onEvent(message: unknown): void {
    const parsed = AccountLifecycleEvent.safeParse(message);
    if (!parsed.success) {
      this.ctx.logger.error({ issues: parsed.error.issues.length }, 'Unreadable event on the accounts channel');
      return;
    }
    const { accountId } = parsed.data;
    // Replaces a read in flight too: one that began before the termination must not hide it.
    this.known.set(accountId, { at: this.options.now(), terminated: Promise.resolve(true) });
    for (const listener of [...(this.listeners.get(accountId) ?? [])]) listener.accountTerminated();
  }

  private prune(now: number): void {
    if (this.known.size < PRUNE_ABOVE) return;
    for (const [accountId, { at }] of this.known) {
      if (now - at >= this.options.maxAgeMs) this.known.delete(accountId);
    }
  }
}
