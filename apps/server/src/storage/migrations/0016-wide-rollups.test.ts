import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { allRollups } from '../../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { ROLLUP_COLUMNS } from '../rollup-metrics.js';
import { sumRollups } from '../rollup-sums.js';
import { wideRollups } from './0016-wide-rollups.js';

describe(`migration 0016: a rollup row per day, widget and operator (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;

  /** Back to the layout of 0001–0015, a row per metric, holding `rows`. */
  async function narrowRollups(rows: readonly (readonly [string, string, string, string, string, number])[]) {
    await sql`drop table rollup_quarters`.execute(db());
    await sql`drop table rollup_days`.execute(db());
    await sql`create table rollups (account_id text not null references accounts (id) on delete cascade,
      day text not null, widget_id text not null, operator_id text not null, metric text not null,
      value ${sql.raw(testDialect === 'postgres' ? 'bigint' : 'integer')} not null,
      constraint rollups_pk primary key (account_id, day, widget_id, operator_id, metric))`.execute(db());
    for (const [accountId, day, widgetId, operatorId, metric, value] of rows) {
      await sql`insert into rollups values (${accountId}, ${day}, ${widgetId}, ${operatorId}, ${metric}, ${value})`.execute(
        db(),
      );
    }
  }

  it('moves each metric into its column, keeps every sum, and carries the days over as quarter -1', async () => {
    const { accountId } = await seedOwnerAccount(t.ctx, 'acme');
    const other = await seedOwnerAccount(t.ctx, 'other');
    await narrowRollups([
      [accountId, '2026-11-01', 'w1', '', 'conversations.started', 3],
      [accountId, '2026-11-01', 'w1', '', 'conversations.started.h09', 2],
      [accountId, '2026-11-01', 'w1', '', 'conversations.started.h23', 1],
      [accountId, '2026-11-01', 'w1', 'o1', 'messages.operator', 7],
      [accountId, '2026-11-01', 'w1', 'o1', 'first_response.le_5s', 1],
      [accountId, '2026-11-01', 'w1', 'o1', 'first_response.total_ms', 4_000],
      [accountId, '2026-11-02', 'w1', 'o1', 'ratings.r4', -1],
      [accountId, '2026-11-02', 'w1', 'o1', 'ratings.r5', 1],
      [accountId, '2026-11-02', 'w1', 'o1', 'ratings.r2', 0],
      [other.accountId, '2026-11-01', 'w9', '', 'offline_messages.received', 5],
    ]);

    await wideRollups(testDialect).up(db());

    expect(await sumRollups(db(), { accountId, fromDay: '2026-11-01', toDay: '2026-11-02', groupBy: ['day'] })).toEqual(
      [
        { metric: 'conversations.started', day: '2026-11-01', value: 3 },
        { metric: 'conversations.started.h09', day: '2026-11-01', value: 2 },
        { metric: 'conversations.started.h23', day: '2026-11-01', value: 1 },
        { metric: 'first_response.le_5s', day: '2026-11-01', value: 1 },
        { metric: 'first_response.total_ms', day: '2026-11-01', value: 4_000 },
        { metric: 'messages.operator', day: '2026-11-01', value: 7 },
        { metric: 'ratings.r4', day: '2026-11-02', value: -1 },
        { metric: 'ratings.r5', day: '2026-11-02', value: 1 },
      ],
    );
    const rows = await allRollups(db());
    const base = rows.filter((row) => row.table === 'rollup_days' && row.widget_id !== '*' && row.operator_id !== '*');
    const quarters = rows.filter((row) => row.table === 'rollup_quarters');
    expect(base).toHaveLength(4);
    expect(quarters.map(({ table: _, quarter, ...row }) => ({ quarter, row }))).toEqual(
      base.map(({ table: _, ...row }) => ({ quarter: -1, row })),
    );
    // The sums over widgets and operators: acme's widget w1 has rows of no operator and of o1.
    const sums = rows.filter(
      (row) => row.table === 'rollup_days' && (row.widget_id === '*' || row.operator_id === '*'),
    );
    const level = (widget: string, operator: string, day: string) =>
      sums.find(
        (row) =>
          row.account_id === accountId && row.widget_id === widget && row.operator_id === operator && row.day === day,
      );
    expect(level('*', '*', '2026-11-01')).toMatchObject({ conversations_started: 3, messages_operator: 7 });
    expect(level('w1', '*', '2026-11-01')).toMatchObject({ conversations_started: 3, messages_operator: 7 });
    expect(level('*', 'o1', '2026-11-01')).toMatchObject({ conversations_started: null, messages_operator: 7 });
    expect(level('*', '', '2026-11-01')).toMatchObject({ conversations_started: 3, messages_operator: null });
    // Per account and day: three rows of sums for each widget-and-operator row, shared where they meet.
    expect(sums.filter((row) => row.account_id === other.accountId)).toHaveLength(3);
    // A zero is stored as NULL.
    const ratings = base.find((row) => row.day === '2026-11-02');
    expect(ratings?.ratings_r2).toBeNull();
    expect(Object.keys(ratings ?? {}).filter((key) => ROLLUP_COLUMNS.includes(key))).toEqual(ROLLUP_COLUMNS);
    expect(await sql`select count(*) as n from rollups`.execute(db()).catch(() => 'dropped')).toBe('dropped');
  });

  it('refuses, changing nothing, rollups of a metric no column is for', async () => {
    const { accountId } = await seedOwnerAccount(t.ctx, 'acme');
    await narrowRollups([
      [accountId, '2026-11-01', '', '', 'conversations.started', 1],
      [accountId, '2026-11-01', '', '', 'visits.count', 1],
    ]);
    await expect(wideRollups(testDialect).up(db())).rejects.toThrow(
      'The rollups hold metrics no column is for: visits.count',
    );
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from rollups`.execute(db());
    expect(Number(rows[0]?.n)).toBe(2);
  });
});
