import { Cron } from 'croner';

/**
 * The latest slot of a cron pattern (UTC) at or before `now`, in epoch milliseconds; undefined for a
 * pattern with no slot before `now`. Every node computes the same slot, so the slot names the run.
 */
export function latestSlot(pattern: string, now: number): number | undefined {
  const cron = new Cron(pattern, { timezone: 'UTC', paused: true });
  // previousRuns answers slots strictly before the date given: one millisecond later includes `now`.
  const [slot] = cron.previousRuns(1, new Date(now + 1));
  return slot?.getTime();
}

/** Checks a cron pattern at start-up, so a typo fails loudly instead of never running. */
export function assertValidSchedule(name: string, pattern: string): void {
  try {
    new Cron(pattern, { timezone: 'UTC', paused: true });
  } catch (error) {
    throw new Error(`The schedule of job ${name} ("${pattern}") is not a cron pattern: ${String(error)}`);
  }
}
