import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sumRollups } from '../../storage/rollup-sums.js';
import { allRollups } from '../../test-support/table-snapshots.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { seedSceneAccount, seedSceneConversation, type SceneAccount } from '../erasure/test-scene.js';
import { verifyRollups } from './verify-rollups.js';

describe(`verifyRollups (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  let other: SceneAccount;
  beforeEach(async () => {
    t = await createTestContext();
    acme = await seedSceneAccount(t.ctx, 'Acme');
    other = await seedSceneAccount(t.ctx, 'Other');
    await seedSceneConversation(t.ctx, { account: acme, operatorId: acme.ownerId, close: true, rating: 4 });
    t.clock.advance(2 * 24 * 60 * 60 * 1000);
    await seedSceneConversation(t.ctx, { account: acme, messages: 3, close: true });
    await seedSceneConversation(t.ctx, { account: other, close: true });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const sums = (accountId: string) => sumRollups(db(), { accountId, fromDay: '0000-01-01', toDay: '9999-12-31' });

  it('finds no drift in rollups as the chats counted them', async () => {
    // Acme: on the first day, a row of no operator (the start, messages) and one of its owner (the
    // close, the rating), and four rows of sums over the widgets, the operators or both; on the third
    // day, one row and three of sums. Other: one row and three of sums.
    expect(await verifyRollups(t.ctx, {})).toEqual({ accounts: 2, rows: 14, driftedRows: 0, drifts: [], repaired: 0 });
  });

  it('names each drifted metric of a changed, a lost and an invented day row, and repairs them from the events', async () => {
    const before = await sums(acme.accountId);
    const untouched = (await allRollups(db())).filter((row) => row.account_id === other.accountId);
    const days = (await allRollups(db())).filter(
      (row) =>
        row.table === 'rollup_days' &&
        row.account_id === acme.accountId &&
        row.widget_id === acme.widgetId &&
        row.operator_id === '',
    );
    const [first, second] = days;
    if (days.length !== 2 || !first || !second) throw new Error('The scene counts on two days');
    await sql`update rollup_days set messages_visitor = 99
      where account_id = ${acme.accountId} and day = ${first.day} and widget_id = ${acme.widgetId}
      and operator_id = ''`.execute(db());
    await sql`delete from rollup_days where account_id = ${acme.accountId} and day = ${second.day}`.execute(db());
    await sql`insert into rollup_days (account_id, day, widget_id, operator_id, conversations_started)
      values (${acme.accountId}, '2020-02-02', ${acme.widgetId}, '', 7)`.execute(db());

    const found = await verifyRollups(t.ctx, { accountId: acme.accountId });
    const row = { accountId: acme.accountId, widgetId: acme.widgetId, operatorId: '' };
    // The changed row, the four rows of the lost day, the invented row.
    expect(found).toMatchObject({ accounts: 1, rows: 11, driftedRows: 6, repaired: 0 });
    expect(found.drifts).toEqual(
      expect.arrayContaining([
        { ...row, day: '2020-02-02', metric: 'conversations.started', stored: 7, recounted: 0 },
        { ...row, day: first.day, metric: 'messages.visitor', stored: 99, recounted: first.messages_visitor },
        { ...row, day: second.day, metric: 'conversations.started', stored: 0, recounted: 1 },
      ]),
    );
    expect(found.drifts.filter((drift) => drift.day === second.day).length).toBeGreaterThan(3);
    expect(await verifyRollups(t.ctx, { accountId: other.accountId })).toMatchObject({ driftedRows: 0 });

    expect(await verifyRollups(t.ctx, { accountId: acme.accountId, repair: true })).toMatchObject({
      driftedRows: 6,
      repaired: 6,
    });
    expect(await verifyRollups(t.ctx, {})).toMatchObject({ accounts: 2, rows: 14, driftedRows: 0, drifts: [] });
    expect(await sums(acme.accountId)).toEqual(before);
    expect((await allRollups(db())).filter((row) => row.account_id === other.accountId)).toEqual(untouched);
  });

  it('refuses an account that is none', async () => {
    await expect(verifyRollups(t.ctx, { accountId: randomUUID() })).rejects.toMatchObject({ code: 'not_found' });
  });
});
