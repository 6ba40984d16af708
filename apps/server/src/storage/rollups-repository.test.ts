import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { createTestContext, type TestContext } from '../test-support/test-context.js';
import { addToRollups, rollupDay, sumRollups } from './rollups-repository.js';
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

  it('keys days in UTC', () => {
    expect(rollupDay(Date.UTC(2026, 10, 28, 23, 59, 59))).toBe('2026-11-28');
    expect(rollupDay(Date.UTC(2026, 10, 29, 0, 0, 0))).toBe('2026-11-29');
  });

  it('adds up increments per day, widget and operator', async () => {
    const at = t.clock.now();
    const db = t.ctx.database.db;
    await addToRollups(db, { accountId, at, widgetId: 'w1', increments: { 'conversations.started': 1 } });
    await addToRollups(db, { accountId, at, widgetId: 'w1', increments: { 'conversations.started': 2 } });
    await addToRollups(db, {
      accountId,
      at,
      widgetId: 'w2',
      operatorId: 'o1',
      increments: { 'conversations.started': 1, 'messages.operator': 5 },
    });
    await addToRollups(db, { accountId, at: at + DAY_MS, widgetId: 'w1', increments: { 'conversations.started': 4 } });

    const day = rollupDay(at);
    const next = rollupDay(at + DAY_MS);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: next })).toEqual([
      { metric: 'conversations.started', value: 8 },
      { metric: 'messages.operator', value: 5 },
    ]);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: day, groupBy: ['widget'] })).toEqual([
      { metric: 'conversations.started', widgetId: 'w1', value: 3 },
      { metric: 'conversations.started', widgetId: 'w2', value: 1 },
      { metric: 'messages.operator', widgetId: 'w2', value: 5 },
    ]);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: next, groupBy: ['day'], widgetId: 'w1' })).toEqual([
      { metric: 'conversations.started', day, value: 3 },
      { metric: 'conversations.started', day: next, value: 4 },
    ]);
    expect(await sumRollups(db, { accountId, fromDay: day, toDay: next, operatorId: 'o1' })).toEqual([
      { metric: 'conversations.started', value: 1 },
      { metric: 'messages.operator', value: 5 },
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
    const day = rollupDay(at);
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
      increments: { 'conversations.started': 9 },
    });
    const day = rollupDay(at);
    expect(await sumRollups(t.ctx.database.db, { accountId, fromDay: day, toDay: day })).toEqual([]);
  });

  it('refuses fractions, which would not add up exactly', async () => {
    await expect(
      addToRollups(t.ctx.database.db, { accountId, at: t.clock.now(), increments: { 'ratings.sum': 4.5 } }),
    ).rejects.toThrow(/whole numbers/);
  });
});
