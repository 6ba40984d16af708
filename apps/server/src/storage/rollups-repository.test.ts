import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { allRollups } from '../test-support/table-snapshots.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { localSlot } from './local-time.js';
import { sumRollups } from './rollup-sums.js';
import { addToRollups, RollupTally } from './rollups-repository.js';
import { inTransaction } from './sealed-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('rollups', () => {
  let t: TestContext;
  let accountId: string;
  beforeEach(async () => {
    t = await createTestContext();
    ({ accountId } = await seedOwnerAccount(t.ctx, 'acme'));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("counts an event on the day and hour it was in the account's time zone, as the zone is at the commit", async () => {
    const db = t.ctx.database.db;
    const berlin = await seedOwnerAccount(t.ctx, 'berlin');
    const newYork = await seedOwnerAccount(t.ctx, 'new-york');
    await db.updateTable('accounts').set({ time_zone: 'Europe/Berlin' }).where('id', '=', berlin.accountId).execute();
    await db
      .updateTable('accounts')
      .set({ time_zone: 'America/New_York' })
      .where('id', '=', newYork.accountId)
      .execute();
    // 23:30 UTC on the day New York falls back: 00:30 the next day in Berlin, 18:30 that day in New York.
    const at = Date.UTC(2026, 10, 1, 23, 30);
    const started = { increments: { 'conversations.started': 1 } };
    for (const id of [accountId, berlin.accountId, newYork.accountId]) {
      await addToRollups(db, { accountId: id, at, ...started });
    }
    const sums = (id: string) =>
      sumRollups(db, { accountId: id, fromDay: '2026-10-31', toDay: '2026-11-03', groupBy: ['day'] });
    expect(await sums(accountId)).toEqual([
      { metric: 'conversations.started', day: '2026-11-01', value: 1 },
      { metric: 'conversations.started.h23', day: '2026-11-01', value: 1 },
    ]);
    expect(await sums(berlin.accountId)).toEqual([
      { metric: 'conversations.started', day: '2026-11-02', value: 1 },
      { metric: 'conversations.started.h00', day: '2026-11-02', value: 1 },
    ]);
    expect(await sums(newYork.accountId)).toEqual([
      { metric: 'conversations.started', day: '2026-11-01', value: 1 },
      { metric: 'conversations.started.h18', day: '2026-11-01', value: 1 },
    ]);

    // The zone is read as the tally writes: after a change, events count in the new zone and the days
    // counted before stay as they were.
    await db.updateTable('accounts').set({ time_zone: 'UTC' }).where('id', '=', berlin.accountId).execute();
    const tally = new RollupTally();
    tally.add({ accountId: berlin.accountId, at, ...started });
    tally.add({ accountId: berlin.accountId, at: at + 60_000, ...started });
    tally.add({ accountId: berlin.accountId, at: at + 30 * 60_000, increments: { 'messages.visitor': 1 } });
    await tally.write(db);
    expect(await sums(berlin.accountId)).toEqual([
      { metric: 'conversations.started', day: '2026-11-01', value: 2 },
      { metric: 'conversations.started', day: '2026-11-02', value: 1 },
      { metric: 'conversations.started.h00', day: '2026-11-02', value: 1 },
      { metric: 'conversations.started.h23', day: '2026-11-01', value: 2 },
      { metric: 'messages.visitor', day: '2026-11-02', value: 1 },
    ]);
  });

  it('counts in UTC for a zone the runtime does not know, rather than failing the change it goes with', async () => {
    const db = t.ctx.database.db;
    await db.updateTable('accounts').set({ time_zone: 'Mars/Olympus_Mons' }).where('id', '=', accountId).execute();
    const at = Date.UTC(2026, 10, 1, 23, 30);
    await addToRollups(db, {
      accountId,
      at,
      increments: { 'conversations.started': 1 },
    });
    expect(await sumRollups(db, { accountId, fromDay: '2026-11-01', toDay: '2026-11-02', groupBy: ['day'] })).toEqual([
      { metric: 'conversations.started', day: '2026-11-01', value: 1 },
      { metric: 'conversations.started.h23', day: '2026-11-01', value: 1 },
    ]);
  });

  it('adds up increments per day, widget and operator', async () => {
    const at = t.clock.now();
    const db = t.ctx.database.db;
    await addToRollups(db, { accountId, at, widgetId: 'w1', increments: { 'offline_messages.received': 1 } });
    await addToRollups(db, { accountId, at, widgetId: 'w1', increments: { 'offline_messages.received': 2 } });
    await addToRollups(db, {
      accountId,
      at,
      widgetId: 'w2',
      operatorId: 'o1',
      increments: { 'offline_messages.received': 1, 'messages.operator': 5 },
    });
    await addToRollups(db, {
      accountId,
      at: at + DAY_MS,
      widgetId: 'w1',
      increments: { 'offline_messages.received': 4 },
    });

    const day = localSlot('UTC', at).day;
    const next = localSlot('UTC', at + DAY_MS).day;
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: next })).toEqual([
      { metric: 'messages.operator', value: 5 },
      { metric: 'offline_messages.received', value: 8 },
    ]);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: day, groupBy: ['widget'] })).toEqual([
      { metric: 'messages.operator', widgetId: 'w2', value: 5 },
      { metric: 'offline_messages.received', widgetId: 'w1', value: 3 },
      { metric: 'offline_messages.received', widgetId: 'w2', value: 1 },
    ]);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: next, groupBy: ['day'], widgetId: 'w1' })).toEqual([
      { metric: 'offline_messages.received', day, value: 3 },
      { metric: 'offline_messages.received', day: next, value: 4 },
    ]);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: next, operatorId: 'o1' })).toEqual([
      { metric: 'messages.operator', value: 5 },
      { metric: 'offline_messages.received', value: 1 },
    ]);
  });

  it('counts every one of many concurrent increments', async () => {
    const at = t.clock.now();
    await Promise.all(
      Array.from({ length: 50 }, () =>
        inTransaction(t.ctx.store, (tx) =>
          addToRollups(tx.db, { accountId, at, increments: { 'messages.visitor': 1 } }),
        ),
      ),
    );
    const day = localSlot('UTC', at).day;
    expect(await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day })).toEqual([
      { metric: 'messages.visitor', value: 50 },
    ]);
  });

  it('never shows one account the rollups of another', async () => {
    const other = await seedOwnerAccount(t.ctx, 'other');
    const at = t.clock.now();
    await addToRollups(t.ctx.database.db, {
      accountId: other.accountId,
      at,
      increments: { 'offline_messages.received': 9 },
    });
    const day = localSlot('UTC', at).day;
    expect(await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day })).toEqual([]);
  });

  it('refuses fractions, which would not add up exactly', async () => {
    await expect(
      addToRollups(t.ctx.database.db, { accountId, at: t.clock.now(), increments: { 'ratings.sum': 4.5 } }),
    ).rejects.toThrow(/whole numbers/);
  });

  it('refuses a metric it has no column for, which would count nowhere', async () => {
    await expect(
      addToRollups(t.ctx.database.db, { accountId, at: t.clock.now(), increments: { 'visits.count': 1 } }),
    ).rejects.toThrow('No rollup metric is called "visits.count"');
  });

  it('keeps the counts per UTC quarter hour too, under the day they counted on; increments that cancel out write nothing', async () => {
    const db = t.ctx.database.db;
    await db.updateTable('accounts').set({ time_zone: 'Asia/Kathmandu' }).where('id', '=', accountId).execute();
    // 18:14 UTC is 23:59 in Kathmandu (+05:45); 18:15 UTC is 00:00 the next day.
    const at = Date.UTC(2026, 10, 1, 18, 14);
    const tally = new RollupTally();
    tally.add({ accountId, at, widgetId: 'w1', increments: { 'conversations.started': 1 } });
    tally.add({ accountId, at: at - 60_000, widgetId: 'w1', increments: { 'conversations.started': 1 } });
    tally.add({ accountId, at: at + 60_000, widgetId: 'w1', increments: { 'conversations.started': 1 } });
    tally.add({ accountId, at, operatorId: 'o1', increments: { 'ratings.r4': -1, 'ratings.r5': 1 } });
    tally.add({ accountId, at, operatorId: 'o1', increments: { 'ratings.r4': 1, 'ratings.r5': -1 } });
    await tally.write(db);

    const counted = (rows: Record<string, unknown>[]) =>
      rows.map((row) => ({
        day: row.day,
        quarter: row.quarter,
        widget: row.widget_id,
        started: row.conversations_started,
        h23: row.conversations_started_h23,
        h00: row.conversations_started_h00,
      }));
    const rows = await allRollups(db);
    const quarter = Math.floor(at / (15 * 60_000));
    expect(counted(rows.filter((row) => row.table === 'rollup_quarters'))).toEqual([
      { day: '2026-11-01', quarter, widget: 'w1', started: 2, h23: 2, h00: null },
      { day: '2026-11-02', quarter: quarter + 1, widget: 'w1', started: 1, h23: null, h00: 1 },
    ]);
    // The days, of the widget and summed over all widgets, operators or both: with no operator, alike.
    const days = rows.filter((row) => row.table === 'rollup_days');
    expect(days).toHaveLength(8);
    for (const [widget, operator] of [
      ['w1', ''],
      ['w1', '*'],
      ['*', ''],
      ['*', '*'],
    ]) {
      const own = days.filter((row) => row.widget_id === widget && row.operator_id === operator);
      expect(counted(own)).toEqual([
        { day: '2026-11-01', quarter: undefined, widget, started: 2, h23: 2, h00: null },
        { day: '2026-11-02', quarter: undefined, widget, started: 1, h23: null, h00: 1 },
      ]);
    }
  });
});
