import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteWidgetJob } from '../../jobs/delete-widget.js';
import { enqueueJob } from '../../jobs/enqueue-job.js';
import { runJobsNow } from '../../jobs/worker.js';
import { insertConversation } from '../../storage/conversations-repository.js';
import { findJob } from '../../storage/jobs-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';
import { removeDeletedWidget } from '../../storage/widgets-repository.js';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { addSceneWidget, seedSceneAccount, seedSceneConversation, type SceneAccount } from '../erasure/test-scene.js';
import type { Principal } from '../principal.js';
import { deleteWidget } from './delete-widget.js';

describe(`a widget's deletion (${testDialect})`, () => {
  let t: TestContext;
  let acme: SceneAccount;
  let owner: Principal;
  let shop: string;
  beforeEach(async () => {
    t = await createTestContext();
    acme = await seedSceneAccount(t.ctx, 'Acme');
    owner = { kind: 'operator', accountId: acme.accountId, operatorId: acme.ownerId, role: 'owner', sessionId: 's' };
    shop = await addSceneWidget(t.ctx, acme);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const db = () => t.ctx.database.db;
  const widgetIds = async () => (await db().selectFrom('widgets').select('id').execute()).map((w) => w.id);
  const conversationsOf = async (widgetId: string) =>
    (await db().selectFrom('conversations').select('id').where('widget_id', '=', widgetId).execute()).length;
  const removal = () =>
    inTransaction(t.ctx.store, (tx) =>
      removeDeletedWidget(tx.db, { dialect: t.ctx.database.dialect, accountId: acme.accountId, widgetId: shop }),
    );

  it('erases a conversation that started on the widget after the delete was asked for, then removes the row', async () => {
    await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, close: true });
    const job = await deleteWidget(t.ctx, { by: owner, widgetId: shop });
    // A start that passed its checks just before the widget was marked commits just after.
    t.clock.advance(1000);
    await insertConversation(t.ctx.store, {
      accountId: acme.accountId,
      widgetId: shop,
      visitorId: null,
      now: t.clock.now(),
    });

    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });

    expect(await findJob(db(), { id: job.id, accountId: null })).toMatchObject({ status: 'done', progress_done: 2 });
    expect(await conversationsOf(shop)).toBe(0);
    expect(await widgetIds()).toEqual([acme.widgetId]);
  });

  it('keeps the row while a conversation of it is left, and answers gone once it is removed', async () => {
    await deleteWidget(t.ctx, { by: owner, widgetId: shop });
    await insertConversation(t.ctx.store, {
      accountId: acme.accountId,
      widgetId: shop,
      visitorId: null,
      now: t.clock.now(),
    });

    expect(await removal()).toEqual({ outcome: 'remaining', conversations: 1 });
    expect(await widgetIds()).toContain(shop);
    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    expect(await removal()).toEqual({ outcome: 'gone' });
  });

  it('answers the unfinished job when asked again, and starts a new one after a job that failed for good', async () => {
    const first = await deleteWidget(t.ctx, { by: owner, widgetId: shop });
    expect((await deleteWidget(t.ctx, { by: owner, widgetId: shop })).id).toBe(first.id);
    await db().updateTable('jobs').set({ status: 'failed', last_error: 'disk full' }).execute();

    const second = await deleteWidget(t.ctx, { by: owner, widgetId: shop });

    expect(second.id).not.toBe(first.id);
    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    expect(await findJob(db(), { id: second.id, accountId: null })).toMatchObject({ status: 'done' });
    expect(await widgetIds()).toEqual([acme.widgetId]);
    await expect(deleteWidget(t.ctx, { by: owner, widgetId: shop })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('erases nothing of a widget not marked deleted, and finishes quietly for a widget removed already', async () => {
    await seedSceneConversation(t.ctx, { account: acme, widgetId: shop, close: true });
    const payload = { widgetId: shop, startedBy: { kind: 'cli' as const, id: null } };
    const stray = await enqueueJob(t.ctx, { job: deleteWidgetJob, payload, accountId: acme.accountId });

    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });

    expect(await findJob(db(), { id: stray.id, accountId: null })).toMatchObject({
      last_error: expect.stringContaining('not marked deleted') as unknown,
    });
    expect(await conversationsOf(shop)).toBe(1);

    await db().deleteFrom('jobs').execute();
    await deleteWidget(t.ctx, { by: owner, widgetId: shop });
    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    // A run resumed after the removal committed (its node died then) has nothing left to do.
    const again = await enqueueJob(t.ctx, { job: deleteWidgetJob, payload, accountId: acme.accountId });
    await runJobsNow(t.ctx, { definitions: [deleteWidgetJob] });
    expect(await findJob(db(), { id: again.id, accountId: null })).toMatchObject({ status: 'done', last_error: null });
    expect(await widgetIds()).toEqual([acme.widgetId]);
  });
});
