/**
 * The state version (see the 0006 migration) of each conversation a socket last showed. Each node
 * publishes the changes it made, so two changes of one conversation made on two nodes within
 * milliseconds may arrive in either order; the older one, arriving second, is dropped.
 *
 * Only the most recently shown conversations are remembered: events overtake each other by
 * milliseconds, so those are the ones that need it.
 */
export class ShownVersions {
  /** Least recently shown first. */
  private readonly shown = new Map<string, number>();

  constructor(private readonly capacity = 1_000) {}

  /**
   * Notes a state of the conversation as shown and answers true, unless a later one was shown
   * already: then it answers false, and the caller drops what it was about to show.
   */
  admit(conversationId: string, version: number): boolean {
    const shown = this.shown.get(conversationId);
    if (shown !== undefined && shown > version) return false;
    this.shown.delete(conversationId);
    this.shown.set(conversationId, version);
    if (this.shown.size > this.capacity) {
      for (const oldest of this.shown.keys()) {
        this.shown.delete(oldest);
        break;
      }
    }
    return true;
  }
}
