/**
 * Which backups to keep. Pure functions of the backups, the time and the policy, so that the job that
 * deletes, the CLI that shows what would go, and the tests all agree.
 *
 * Periods are UTC calendar periods counted back from `now`, the current one included: the last 7 days
 * are today and the 6 days before, the last 4 ISO weeks (Monday to Sunday) this week and the 3
 * before, the last 6 months this month and the 5 before. A period without a backup keeps nothing and
 * the count does not reach further back for it: a backup older than every window goes, whatever gaps
 * came before it. So the age of what is kept stays bounded, and erasure reaches the backups within
 * that age.
 */

/** One backup as rotation sees it. */
export interface RotatedBackup {
  readonly id: string;
  /** When it was taken, in UTC epoch milliseconds. */
  readonly createdAt: number;
  /** Whether a restore of it was verified; false for one not yet verified or one whose verification failed. */
  readonly verified: boolean;
}

/** How many of the last days, ISO weeks and months keep a backup each. */
export interface BackupKeepCounts {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

/** The counts kept when the configuration names none. */
export const DEFAULT_KEEP_COUNTS: BackupKeepCounts = Object.freeze({ daily: 7, weekly: 4, monthly: 6 });

/** The keyring artifacts younger than this many days are kept when the configuration names none. */
export const DEFAULT_KEYRING_DAYS = 7;

/** What rotation decided: every id given is in exactly one of `keep` and `remove`, newest first. */
export interface RotationPlan {
  readonly keep: readonly string[];
  readonly remove: readonly string[];
  /** Why each kept id is kept, such as `newest`, `day 2026-12-01`, `week 2026-W49`, `month 2026-12`. */
  readonly reasons: ReadonlyMap<string, readonly string[]>;
}

const DAY_MS = 86_400_000;

/**
 * Which backups to keep: the newest of each of the last `keep.daily` days, `keep.weekly` ISO weeks
 * and `keep.monthly` months (see the top of this file), and always the newest backup and the newest
 * verified one, however old. Everything else is to be removed.
 *
 * A period is represented by its newest verified backup, and only when it has none by its newest
 * backup. A verified backup is one a restore has proven, so it is worth more than a newer one not
 * (yet) proven; the newest backup is kept anyway, so nothing newer is lost while its check runs.
 * The newest verified backup is kept even past every window, so that a run of failed checks never
 * rotates away the last backup known to restore.
 */
export function planBackupRotation(
  backups: readonly RotatedBackup[],
  options: { now: number; keep?: BackupKeepCounts },
): RotationPlan {
  const keep = options.keep ?? DEFAULT_KEEP_COUNTS;
  for (const [name, count] of Object.entries(keep)) {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`keep.${name} must be a whole number ≥ 0 (got ${count})`);
  }
  const newestFirst = sortedNewestFirst(backups);
  const reasons = new Map<string, string[]>();
  const keepFor = (backup: RotatedBackup | undefined, reason: string) => {
    if (backup !== undefined) reasons.set(backup.id, [...(reasons.get(backup.id) ?? []), reason]);
  };

  keepFor(newestFirst[0], 'newest');
  keepFor(
    newestFirst.find((backup) => backup.verified),
    'newest verified',
  );
  const periods: Period[] = [
    { count: keep.daily, index: dayIndex, label: dayLabel },
    { count: keep.weekly, index: weekIndex, label: weekLabel },
    { count: keep.monthly, index: monthIndex, label: monthLabel },
  ];
  for (const period of periods) {
    // Indexes count periods since the epoch; the window is the current one and the count-1 before.
    // A backup from the future (a node with a clock ahead) counts as current, not as out of the window.
    const oldest = period.index(options.now) - period.count + 1;
    const representatives = new Map<number, RotatedBackup>();
    for (const backup of newestFirst) {
      const index = period.index(backup.createdAt);
      if (index < oldest) continue;
      const chosen = representatives.get(index);
      if (chosen === undefined || (backup.verified && !chosen.verified)) representatives.set(index, backup);
    }
    for (const backup of representatives.values()) keepFor(backup, period.label(backup.createdAt));
  }

  return {
    keep: newestFirst.filter((backup) => reasons.has(backup.id)).map((backup) => backup.id),
    remove: newestFirst.filter((backup) => !reasons.has(backup.id)).map((backup) => backup.id),
    reasons,
  };
}

/**
 * Which keyring artifacts to keep: those younger than `keepDays` days (one exactly that old goes),
 * and always the newest, which a restore needs. A keyring holds the keys of data erased since, so
 * keeping fewer days makes erasure reach the backups sooner; at least 1 day is kept.
 */
export function planKeyringRotation(
  keyrings: readonly { readonly id: string; readonly createdAt: number }[],
  options: { now: number; keepDays?: number },
): RotationPlan {
  const keepDays = options.keepDays ?? DEFAULT_KEYRING_DAYS;
  if (!Number.isInteger(keepDays) || keepDays < 1) {
    throw new RangeError(`keepDays must be a whole number ≥ 1 (got ${keepDays})`);
  }
  const newestFirst = sortedNewestFirst(keyrings.map((keyring) => ({ ...keyring, verified: false })));
  const reasons = new Map<string, string[]>();
  for (const [position, keyring] of newestFirst.entries()) {
    const kept = [
      ...(position === 0 ? ['newest'] : []),
      ...(options.now - keyring.createdAt < keepDays * DAY_MS ? [`younger than ${keepDays} days`] : []),
    ];
    if (kept.length > 0) reasons.set(keyring.id, kept);
  }
  return {
    keep: newestFirst.filter((keyring) => reasons.has(keyring.id)).map((keyring) => keyring.id),
    remove: newestFirst.filter((keyring) => !reasons.has(keyring.id)).map((keyring) => keyring.id),
    reasons,
  };
}

/** A kind of calendar period: its index since the epoch for a time, and its name. */
interface Period {
  count: number;
  index: (at: number) => number;
  label: (at: number) => string;
}

/** Newest first; equal times by id, descending, so that every caller sees the same order. */
function sortedNewestFirst(backups: readonly RotatedBackup[]): RotatedBackup[] {
  const ids = new Set<string>();
  for (const { id } of backups) {
    // Two entries of one id could be kept and removed at once.
    if (ids.has(id)) throw new TypeError(`Backup id ${id} is listed twice`);
    ids.add(id);
  }
  return [...backups].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** UTC days since 1970-01-01. */
const dayIndex = (at: number): number => Math.floor(at / DAY_MS);

/** ISO weeks since the one of 1970-01-01: day 0 was a Thursday, so weeks start at days -3, 4, 11, … */
const weekIndex = (at: number): number => Math.floor((dayIndex(at) + 3) / 7);

/** UTC calendar months since January 1970. */
const monthIndex = (at: number): number => {
  const date = new Date(at);
  return date.getUTCFullYear() * 12 + date.getUTCMonth() - 1970 * 12;
};

const dayLabel = (at: number): string => `day ${new Date(at).toISOString().slice(0, 10)}`;

const monthLabel = (at: number): string => `month ${new Date(at).toISOString().slice(0, 7)}`;

/** `week 2026-W53`: an ISO week belongs to the year of its Thursday. */
const weekLabel = (at: number): string => {
  const thursday = new Date(weekIndex(at) * 7 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((dayIndex(thursday.getTime()) - dayIndex(Date.UTC(year, 0, 1))) / 7) + 1;
  return `week ${year}-W${String(week).padStart(2, '0')}`;
};
