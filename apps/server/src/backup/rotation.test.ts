import { describe, expect, it } from 'vitest';
import { planBackupRotation, planKeyringRotation, type BackupKeepCounts, type RotatedBackup } from './rotation.js';

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`Not a time: ${iso}`);
  return ms;
};

/** A backup whose id is its ISO time, so the expectations read as times. */
const backup = (iso: string, verified = true): RotatedBackup => ({ id: iso, createdAt: at(iso), verified });

/** One verified backup a day at `time` from `first` to `last` (dates, inclusive). */
function daily(first: string, last: string, time = '03:00'): RotatedBackup[] {
  const backups: RotatedBackup[] = [];
  for (let day = at(`${first}T00:00Z`); day <= at(`${last}T00:00Z`); day += 86_400_000) {
    backups.push(backup(`${new Date(day).toISOString().slice(0, 10)}T${time}Z`));
  }
  return backups;
}

interface Case {
  name: string;
  backups: RotatedBackup[];
  now: string;
  keep?: BackupKeepCounts;
  /** The ids kept, newest first. */
  kept: string[];
}

const cases: Case[] = [
  {
    name: 'keeps 14 of a year of daily backups: 7 days, 4 ISO weeks and 6 months, overlapping',
    backups: daily('2026-01-01', '2026-12-31'),
    now: '2026-12-31T12:00Z',
    kept: [
      ...['31', '30', '29', '28', '27', '26', '25'].map((day) => `2026-12-${day}T03:00Z`),
      '2026-12-20T03:00Z', // ISO week 51 (week 52 is kept as a day, week 53 is today's)
      '2026-12-13T03:00Z', // ISO week 50
      '2026-11-30T03:00Z',
      '2026-10-31T03:00Z',
      '2026-09-30T03:00Z',
      '2026-08-31T03:00Z',
      '2026-07-31T03:00Z',
    ],
  },
  {
    name: 'starts a new day, week and month at midnight UTC, so the oldest daily one goes then',
    backups: daily('2026-11-01', '2026-11-30'),
    now: '2026-12-01T00:00:00.000Z',
    kept: [
      ...['30', '29', '28', '27', '26', '25'].map((day) => `2026-11-${day}T03:00Z`),
      '2026-11-22T03:00Z',
      '2026-11-15T03:00Z',
    ],
  },
  {
    name: 'keeps that oldest daily one until a millisecond before midnight',
    backups: daily('2026-11-01', '2026-11-30'),
    now: '2026-11-30T23:59:59.999Z',
    kept: [
      ...['30', '29', '28', '27', '26', '25', '24'].map((day) => `2026-11-${day}T03:00Z`),
      '2026-11-22T03:00Z',
      '2026-11-15T03:00Z',
    ],
  },
  {
    name: 'keeps the last backup of each day when there are several a day',
    backups: ['00:00', '06:00', '12:00', '18:00'].flatMap((time) => daily('2026-12-01', '2026-12-10', time)),
    now: '2026-12-10T19:00Z',
    kept: ['10', '09', '08', '07', '06', '05', '04'].map((day) => `2026-12-${day}T18:00Z`),
  },
  {
    name: 'leaves days without a backup empty rather than reach further back',
    backups: [backup('2026-12-01T03:00Z'), backup('2026-12-02T03:00Z'), backup('2026-12-09T03:00Z')],
    now: '2026-12-10T12:00Z',
    keep: { daily: 3, weekly: 0, monthly: 0 },
    kept: ['2026-12-09T03:00Z'],
  },
  {
    name: 'fills a gap in the days with the weeks and months',
    backups: [backup('2026-12-01T03:00Z'), backup('2026-12-02T03:00Z'), backup('2026-12-09T03:00Z')],
    now: '2026-12-10T12:00Z',
    kept: ['2026-12-09T03:00Z', '2026-12-02T03:00Z'],
  },
  {
    name: 'ends an ISO week on Sunday night and starts the next on Monday at 00:00',
    backups: [backup('2026-12-06T10:00Z'), backup('2026-12-06T23:59:59.999Z'), backup('2026-12-07T00:00:00.000Z')],
    now: '2026-12-08T12:00Z',
    keep: { daily: 0, weekly: 2, monthly: 0 },
    kept: ['2026-12-07T00:00:00.000Z', '2026-12-06T23:59:59.999Z'],
  },
  {
    name: 'keeps one ISO week across New Year as one week',
    backups: [backup('2026-12-31T03:00Z'), backup('2027-01-03T03:00Z'), backup('2027-01-04T03:00Z')],
    now: '2027-01-05T12:00Z',
    keep: { daily: 0, weekly: 2, monthly: 0 },
    kept: ['2027-01-04T03:00Z', '2027-01-03T03:00Z'],
  },
  {
    name: 'ends a month on its last millisecond',
    backups: [backup('2026-02-15T03:00Z'), backup('2026-02-28T23:59:59.999Z'), backup('2026-03-01T00:00:00.000Z')],
    now: '2026-03-05T12:00Z',
    keep: { daily: 0, weekly: 0, monthly: 2 },
    kept: ['2026-03-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z'],
  },
  {
    name: 'keeps a verified backup for its day over a newer one whose verification failed, and the newer as the newest',
    backups: [backup('2026-12-09T03:00Z'), backup('2026-12-10T03:00Z'), backup('2026-12-10T15:00Z', false)],
    now: '2026-12-10T20:00Z',
    keep: { daily: 1, weekly: 0, monthly: 0 },
    kept: ['2026-12-10T15:00Z', '2026-12-10T03:00Z'],
  },
  {
    name: 'keeps the newest of a day whose backups all failed verification',
    backups: [
      backup('2026-12-09T03:00Z', false),
      backup('2026-12-09T15:00Z', false),
      backup('2026-12-10T03:00Z'),
      backup('2026-12-10T09:00Z'),
    ],
    now: '2026-12-10T20:00Z',
    keep: { daily: 2, weekly: 0, monthly: 0 },
    kept: ['2026-12-10T09:00Z', '2026-12-09T15:00Z'],
  },
  {
    name: 'keeps the newest verified backup past every window while verification keeps failing',
    backups: [
      backup('2026-06-01T03:00Z'),
      ...daily('2026-12-01', '2026-12-10').map((b) => ({ ...b, verified: false })),
    ],
    now: '2026-12-10T12:00Z',
    keep: { daily: 2, weekly: 0, monthly: 0 },
    kept: ['2026-12-10T03:00Z', '2026-12-09T03:00Z', '2026-06-01T03:00Z'],
  },
  {
    name: 'keeps only the newest when every count is 0',
    backups: daily('2026-12-01', '2026-12-10'),
    now: '2026-12-10T12:00Z',
    keep: { daily: 0, weekly: 0, monthly: 0 },
    kept: ['2026-12-10T03:00Z'],
  },
  {
    name: 'keeps the newest however old it is',
    backups: [backup('2025-01-01T03:00Z', false), backup('2024-01-01T03:00Z', false)],
    now: '2026-12-10T12:00Z',
    kept: ['2025-01-01T03:00Z'],
  },
  {
    name: 'counts a backup from a clock running ahead as a current one',
    backups: [backup('2026-12-10T03:00Z'), backup('2026-12-11T03:00Z')],
    now: '2026-12-10T12:00Z',
    keep: { daily: 1, weekly: 0, monthly: 0 },
    kept: ['2026-12-11T03:00Z', '2026-12-10T03:00Z'],
  },
  { name: 'decides nothing for no backups', backups: [], now: '2026-12-10T12:00Z', kept: [] },
];

describe('planBackupRotation', () => {
  it.each(cases)('$name', ({ backups, now, keep, kept }) => {
    const plan = planBackupRotation(backups, { now: at(now), keep });
    expect(plan.keep).toEqual(kept);
    // Every backup is decided once: kept or removed, newest first.
    const newestFirst = [...backups].sort((a, b) => b.createdAt - a.createdAt).map((b) => b.id);
    expect(plan.remove).toEqual(newestFirst.filter((id) => !kept.includes(id)));
    expect([...plan.reasons.keys()].sort()).toEqual([...kept].sort());
  });

  it('gives the same plan whatever the order of the backups', () => {
    const backups = daily('2026-01-01', '2026-12-31');
    const now = at('2026-12-31T12:00Z');
    expect(planBackupRotation([...backups].reverse(), { now })).toEqual(planBackupRotation(backups, { now }));
  });

  it('says why each backup is kept', () => {
    const plan = planBackupRotation(daily('2026-01-01', '2027-01-04'), { now: at('2027-01-04T12:00Z') });
    expect(plan.reasons.get('2027-01-04T03:00Z')).toEqual([
      'newest',
      'newest verified',
      'day 2027-01-04',
      'week 2027-W01',
      'month 2027-01',
    ]);
    expect(plan.reasons.get('2027-01-03T03:00Z')).toEqual(['day 2027-01-03', 'week 2026-W53']);
    expect(plan.reasons.get('2026-12-31T03:00Z')).toEqual(['day 2026-12-31', 'month 2026-12']);
  });

  it('refuses counts that are negative or not whole, and an id listed twice', () => {
    const now = at('2026-12-10T12:00Z');
    expect(() => planBackupRotation([], { now, keep: { daily: -1, weekly: 4, monthly: 6 } })).toThrow(
      'keep.daily must be a whole number ≥ 0 (got -1)',
    );
    expect(() => planBackupRotation([], { now, keep: { daily: 7, weekly: 1.5, monthly: 6 } })).toThrow(RangeError);
    const twice = [backup('2026-12-10T03:00Z'), backup('2026-12-10T03:00Z')];
    expect(() => planBackupRotation(twice, { now })).toThrow('Backup id 2026-12-10T03:00Z is listed twice');
  });
});

describe('planKeyringRotation', () => {
  const keyring = (iso: string) => ({ id: iso, createdAt: at(iso) });
  const tenDays = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((day) =>
    keyring(`2026-12-${day}T03:00Z`),
  );

  it.each([
    {
      name: 'keeps the keyrings younger than 7 days by default',
      keyrings: tenDays,
      now: '2026-12-10T12:00Z',
      keepDays: undefined,
      kept: ['10', '09', '08', '07', '06', '05', '04'].map((day) => `2026-12-${day}T03:00Z`),
    },
    {
      name: 'removes a keyring exactly the kept number of days old, and keeps one a millisecond younger',
      keyrings: [
        keyring('2026-12-03T12:00:00.000Z'),
        keyring('2026-12-03T12:00:00.001Z'),
        keyring('2026-12-10T03:00Z'),
      ],
      now: '2026-12-10T12:00:00.000Z',
      keepDays: 7,
      kept: ['2026-12-10T03:00Z', '2026-12-03T12:00:00.001Z'],
    },
    {
      name: 'keeps one day when told so',
      keyrings: tenDays,
      now: '2026-12-10T12:00Z',
      keepDays: 1,
      kept: ['2026-12-10T03:00Z'],
    },
    {
      name: 'keeps the newest keyring however old it is, since a restore needs one',
      keyrings: [keyring('2026-10-01T03:00Z'), keyring('2026-11-01T03:00Z')],
      now: '2026-12-10T12:00Z',
      keepDays: 7,
      kept: ['2026-11-01T03:00Z'],
    },
  ])('$name', ({ keyrings, now, keepDays, kept }) => {
    const plan = planKeyringRotation(keyrings, { now: at(now), keepDays });
    expect(plan.keep).toEqual(kept);
    expect(plan.remove).toEqual(
      [...keyrings]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((k) => k.id)
        .filter((id) => !kept.includes(id)),
    );
  });

  it('refuses to keep keyrings for less than a day', () => {
    expect(() => planKeyringRotation(tenDays, { now: Date.now(), keepDays: 0 })).toThrow(
      'keepDays must be a whole number ≥ 1 (got 0)',
    );
  });
});
