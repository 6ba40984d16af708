/**
 * How long to wait before reconnect attempt `attempt` (0, 1, 2, …), in milliseconds: doubling from
 * 500 ms up to 30 s, with up to a third of jitter so a node's visitors do not all return at once.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (1 - random() / 3));
}
