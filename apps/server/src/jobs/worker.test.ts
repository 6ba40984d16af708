import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createContext, type Context } from '../context.js';
import { cancelJob } from '../domain/jobs/cancel-job.js';
import { AppError } from '../domain/errors.js';
import { claimJob, findJob, type JobRow } from '../storage/jobs-repository.js';
import { WalSync } from '../storage/sqlite-driver.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { enqueueJob } from './enqueue-job.js';
import { defineJob, type JobDefinition } from './job.js';
import { JOB_LEASE_MS, runJob, runJobsNow, Worker } from './worker.js';

/** A job that counts to `to` in steps, saving its position after each: resumable like a real one. */
function countingJob(runs: { item: number; node: string }[], options: { failFirst?: number } = {}) {
  let failures = 0;
  return defineJob({
    name: 'count-items',
    payload: z.object({ to: z.number().int(), node: z.string().optional() }),
    unit: 'items',
    maxAttempts: 3,
    async run(_ctx, job) {
      if (failures < (options.failFirst ?? 0)) {
        failures += 1;
        throw new Error('a transient failure');
      }
      let next = job.cursor === undefined ? 0 : Number(job.cursor);
      while (next < job.payload.to) {
        runs.push({ item: next, node: job.id });
        next += 1;
        await job.progress({ done: next, total: job.payload.to, cursor: String(next) });
      }
      return { items: next };
    },
  });
}

function asList(...jobs: JobDefinition<never>[]): readonly JobDefinition<unknown>[] {
  return jobs;
}

/** The AppError a promise rejects with; fails the test on anything else. */
async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe(`the job queue (${testDialect})`, () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function row(id: string) {
    const found = await findJob(t.ctx.database.db, { id, accountId: null });
    if (!found) throw new Error(`job ${id} is gone`);
    return found;
  }

  /** Claims a due job of that name as another node would, without running it. */
  function claimAs(nodeId: string, name: string) {
    return claimJob(t.ctx.database.db, {
      dialect: t.ctx.database.dialect,
      names: [name],
      nodeId,
      now: t.clock.now(),
      leaseMs: JOB_LEASE_MS,
    });
  }

  it.runIf(testDialect === 'sqlite')(
    'writes nothing for a poll that finds no job due: it takes no write lock',
    async () => {
      const flushes = vi.spyOn(WalSync.prototype, 'sync');
      try {
        expect(await claimAs('node-a', 'count-items')).toBeUndefined();
        expect(flushes).not.toHaveBeenCalled();
      } finally {
        flushes.mockRestore();
      }
      const queued = await enqueueJob(t.ctx, { job: countingJob([]), payload: { to: 1 }, accountId: null });
      expect(await claimAs('node-a', 'count-items')).toMatchObject({
        id: queued.id,
        status: 'running',
        locked_by: 'node-a',
      });
    },
  );

  it('runs a queued job to the end and keeps its progress and summary', async () => {
    const runs: { item: number; node: string }[] = [];
    const job = countingJob(runs);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 4 }, accountId: null });
    expect(queued).toMatchObject({ status: 'queued', done: 0, unit: 'items' });
    expect(await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) })).toBe(1);
    const done = await row(queued.id);
    expect(done).toMatchObject({ status: 'done', progress_done: 4, progress_total: 4, attempts: 1 });
    expect(JSON.parse(done.result ?? '')).toEqual({ items: 4 });
    expect(runs.map((r) => r.item)).toEqual([0, 1, 2, 3]);
  });

  it('refuses a payload its schema does not accept before anything is queued', async () => {
    const job = countingJob([]);
    await expect(
      // Safe: the wrong type is the point of the test.
      enqueueJob(t.ctx, { job, payload: { to: 'four' } as unknown as { to: number }, accountId: null }),
    ).rejects.toThrow();
  });

  it('retries a failed run with backoff and finishes it later', async () => {
    const runs: { item: number; node: string }[] = [];
    const job = countingJob(runs, { failFirst: 1 });
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 2 }, accountId: null });
    await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) });
    const waiting = await row(queued.id);
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1, last_error: 'a transient failure' });
    expect(waiting.run_at).toBe(t.clock.now() + 30_000);
    t.clock.advance(29_000);
    expect(await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) })).toBe(0);
    t.clock.advance(1_000);
    await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) });
    expect(await row(queued.id)).toMatchObject({ status: 'done', attempts: 2, last_error: null });
  });

  it('gives up after the last attempt and says why', async () => {
    const job = countingJob([], { failFirst: 10 });
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 1 }, accountId: null });
    for (let i = 0; i < 3; i++) {
      await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) });
      t.clock.advance(60 * 60_000);
    }
    expect(await row(queued.id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'a transient failure' });
  });

  it("resumes a dead node's job where its last batch ended once the lease ran out", async () => {
    const runs: { item: number; node: string }[] = [];
    const job = countingJob(runs);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 5 }, accountId: null });
    // A node claims the job, finishes two items and dies without a word.
    const claimed = await claimAs('dead-node', job.name);
    expect(claimed?.id).toBe(queued.id);
    await t.ctx.database.db
      .updateTable('jobs')
      .set({ progress_done: 2, cursor: '2' })
      .where('id', '=', queued.id)
      .execute();
    expect(await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) })).toBe(0);
    t.clock.advance(JOB_LEASE_MS + 1);
    expect(await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) })).toBe(1);
    expect(runs.map((r) => r.item)).toEqual([2, 3, 4]);
    expect(await row(queued.id)).toMatchObject({ status: 'done', progress_done: 5, attempts: 2 });
  });

  it('cancels a queued job at once and a running one at its next batch', async () => {
    const job = countingJob([]);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 3 }, accountId: null });
    expect(await cancelJob(t.ctx, { by: null, jobId: queued.id })).toMatchObject({ status: 'cancelled' });

    let jobId = '';
    const stopsItself = defineJob({
      name: 'stops-itself',
      payload: z.object({}),
      unit: 'items',
      async run(ctx, run) {
        await run.progress({ done: 1 });
        await cancelJob(ctx, { by: null, jobId });
        await run.progress({ done: 2 });
        throw new Error('not reached: the progress after the cancel throws');
      },
    });
    jobId = (await enqueueJob(t.ctx, { job: stopsItself, payload: {}, accountId: null })).id;
    await runJobsNow(t.ctx, { definitions: asList(stopsItself as JobDefinition<never>) });
    expect(await row(jobId)).toMatchObject({ status: 'cancelled', progress_done: 2 });
  });

  it('answers job_finished to a cancel of a finished job, and changes nothing', async () => {
    const job = countingJob([]);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 1 }, accountId: null });
    await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) });
    const error = await appErrorOf(cancelJob(t.ctx, { by: null, jobId: queued.id }));
    expect(error.code).toBe('job_finished');
    expect(await row(queued.id)).toMatchObject({ status: 'done', cancel_requested_at: null });
  });

  it('answers a second cancel of a running job that it is stopping, not that it finished', async () => {
    const job = countingJob([]);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 3 }, accountId: null });
    await claimAs('node-a', job.name);
    expect(await cancelJob(t.ctx, { by: null, jobId: queued.id })).toMatchObject({ status: 'running' });
    const again = await appErrorOf(cancelJob(t.ctx, { by: null, jobId: queued.id }));
    expect(again.code).toBe('job_finished');
    expect(again.message).toMatch(/is stopping already/);
  });

  it('never starts a batch of a job cancelled while the node running it was dead', async () => {
    const runs: { item: number; node: string }[] = [];
    const job = countingJob(runs);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 3 }, accountId: null });
    await claimAs('dead-node', job.name);
    await cancelJob(t.ctx, { by: null, jobId: queued.id });
    t.clock.advance(JOB_LEASE_MS + 1);
    await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) });
    expect(runs).toEqual([]);
    expect(await row(queued.id)).toMatchObject({ status: 'cancelled', attempts: 1, locked_by: null });
  });

  it('ends a run that fails after a cancel as cancelled instead of retrying it', async () => {
    let jobId = '';
    const failsAfterCancel = defineJob({
      name: 'fails-after-cancel',
      payload: z.object({}),
      unit: 'items',
      async run(ctx, run) {
        await run.progress({ done: 1 });
        await cancelJob(ctx, { by: null, jobId });
        throw new Error('the database went away');
      },
    });
    const definitions = asList(failsAfterCancel as JobDefinition<never>);
    jobId = (await enqueueJob(t.ctx, { job: failsAfterCancel, payload: {}, accountId: null })).id;
    await runJobsNow(t.ctx, { definitions });
    expect(await row(jobId)).toMatchObject({ status: 'cancelled', last_error: 'the database went away' });
    t.clock.advance(60 * 60_000);
    expect(await runJobsNow(t.ctx, { definitions })).toBe(0);
  });

  it('fails a job whose node died on its last attempt instead of taking it over again', async () => {
    const runs: { item: number; node: string }[] = [];
    const job = countingJob(runs);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 2 }, accountId: null });
    // countingJob allows 3 attempts: each one kills its node.
    for (let i = 0; i < 3; i++) {
      expect((await claimAs('dying-node', job.name))?.id).toBe(queued.id);
      t.clock.advance(JOB_LEASE_MS + 1);
    }
    expect(await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) })).toBe(1);
    expect(runs).toEqual([]);
    const failed = await row(queued.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, locked_by: null });
    expect(failed.last_error).toMatch(/node stopped while running it/);
  });

  it('renews the lease of a run that goes longer than the lease without progress', async () => {
    let takenOver: JobRow | undefined | null = null;
    const slowBatch = defineJob({
      name: 'slow-batch',
      payload: z.object({}),
      unit: 'items',
      async run(_ctx, run) {
        t.clock.advance(JOB_LEASE_MS - 10_000);
        await vi.waitFor(async () => expect((await row(run.id)).locked_until).toBe(t.clock.now() + JOB_LEASE_MS), {
          timeout: 2_000,
          interval: 5,
        });
        // Past the lease of the claim: only the renewal keeps another node away.
        t.clock.advance(20_000);
        takenOver = await claimAs('node-b', 'slow-batch');
        await run.progress({ done: 1 });
        return {};
      },
    });
    const queued = await enqueueJob(t.ctx, { job: slowBatch, payload: {}, accountId: null });
    const definitions = asList(slowBatch as JobDefinition<never>);
    await new Worker(t.ctx, { definitions, nodeId: 'node-a', leaseRenewIntervalMs: 10 }).drain();
    expect(takenOver).toBeUndefined();
    expect(await row(queued.id)).toMatchObject({ status: 'done', attempts: 1, locked_by: null });
  });

  it('claims a due scheduled run before an on-demand job that has waited longer', async () => {
    const order: string[] = [];
    const bulkWork = defineJob({
      name: 'bulk-work',
      payload: z.object({}),
      unit: 'items',
      run: () => Promise.resolve(void order.push('bulk-work')).then(() => ({})),
    });
    const sweep = defineJob({
      name: 'quarter-sweep',
      payload: z.object({}),
      schedule: '*/15 * * * *',
      unit: 'rows',
      run: () => Promise.resolve(void order.push('quarter-sweep')).then(() => ({})),
    });
    await enqueueJob(t.ctx, { job: bulkWork, payload: {}, accountId: null });
    // 12:15: the sweep's slot is due, a quarter of an hour after the bulk job was.
    t.clock.advance(15 * 60_000);
    await runJobsNow(t.ctx, { definitions: asList(bulkWork as JobDefinition<never>, sweep as JobDefinition<never>) });
    expect(order).toEqual(['quarter-sweep', 'bulk-work']);
  });

  it('keeps one slot free for scheduled runs however many on-demand jobs wait', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const swept: string[] = [];
    const bulkWork = defineJob({
      name: 'bulk-work',
      payload: z.object({}),
      unit: 'items',
      run: () => gate.then(() => ({})),
    });
    const sweep = defineJob({
      name: 'quarter-sweep',
      payload: z.object({}),
      schedule: '*/15 * * * *',
      unit: 'rows',
      run: (_ctx, run) => Promise.resolve(void swept.push(run.id)).then(() => ({})),
    });
    // The 12:00 slot runs first, so the next poll finds only on-demand jobs due.
    await runJobsNow(t.ctx, { definitions: asList(sweep as JobDefinition<never>) });
    for (let i = 0; i < 3; i++) await enqueueJob(t.ctx, { job: bulkWork, payload: {}, accountId: null });
    const definitions = asList(bulkWork as JobDefinition<never>, sweep as JobDefinition<never>);
    const worker = new Worker(t.ctx, { definitions, nodeId: 'node-a', concurrency: 2 });
    expect(await worker.poll()).toBe(1);
    t.clock.advance(15 * 60_000);
    expect(await worker.poll()).toBe(1);
    release();
    await worker.stop();
    expect(swept).toHaveLength(2);
  });

  it('answers an unknown job and one running elsewhere with not_found and conflict', async () => {
    const job = countingJob([]);
    const definitions = asList(job as JobDefinition<never>);
    expect((await appErrorOf(runJob(t.ctx, { jobId: randomUUID(), definitions }))).code).toBe('not_found');
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 1 }, accountId: null });
    await claimAs('node-b', job.name);
    const busy = await appErrorOf(runJob(t.ctx, { jobId: queued.id, definitions }));
    expect(busy.code).toBe('conflict');
    expect(busy.message).toMatch(/running on another node \(node-b\)/);
  });

  it('fails a job whose stored payload no schema accepts, without running it', async () => {
    const runs: { item: number; node: string }[] = [];
    const job = countingJob(runs);
    const queued = await enqueueJob(t.ctx, { job, payload: { to: 1 }, accountId: null });
    await t.ctx.database.db.updateTable('jobs').set({ payload: '{"to":"x"}' }).where('id', '=', queued.id).execute();
    await runJobsNow(t.ctx, { definitions: asList(job as JobDefinition<never>) });
    expect(await row(queued.id)).toMatchObject({ status: 'failed' });
    expect((await row(queued.id)).last_error).toMatch(/Invalid payload/);
    expect(runs).toEqual([]);
  });

  it('gives a running job back to the queue when its node shuts down, without spending an attempt', async () => {
    const holder: { worker?: Worker } = {};
    const stopping = defineJob({
      name: 'long-work',
      payload: z.object({}),
      unit: 'items',
      async run(_ctx, run) {
        const stopped = holder.worker?.stop();
        await run.progress({ done: 1, cursor: '1' });
        await stopped;
        return {};
      },
    });
    const queued = await enqueueJob(t.ctx, { job: stopping, payload: {}, accountId: null });
    holder.worker = new Worker(t.ctx, { definitions: asList(stopping as JobDefinition<never>) });
    await holder.worker.drain();
    expect(await row(queued.id)).toMatchObject({ status: 'queued', attempts: 0, progress_done: 1, cursor: '1' });
  });

  describe('across nodes', () => {
    let other: Context;
    beforeEach(async () => {
      // A second node: its own context on the same database.
      other = await createContext(t.config, {
        clock: t.clock,
        logger: t.ctx.logger,
        ...(t.schema ? { schema: t.schema } : {}),
      });
    });
    afterEach(async () => {
      await other.close();
    });

    it('runs each job once when two nodes claim at the same time', async () => {
      const runs: { item: number; node: string }[] = [];
      const job = countingJob(runs);
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add((await enqueueJob(t.ctx, { job, payload: { to: 1 }, accountId: null })).id);
      const definitions = asList(job as JobDefinition<never>);
      await Promise.all([
        new Worker(t.ctx, { definitions, nodeId: 'node-a' }).drain(),
        new Worker(other, { definitions, nodeId: 'node-b' }).drain(),
      ]);
      expect(runs).toHaveLength(20);
      expect(new Set(runs.map((r) => r.node))).toEqual(ids);
    });

    it('enqueues each scheduled slot once, however many nodes see it', async () => {
      const ran: string[] = [];
      const hourly = defineJob({
        name: 'hourly-sweep',
        payload: z.object({}),
        schedule: '5 * * * *',
        unit: 'rows',
        async run(_ctx, run) {
          ran.push(run.id);
          return {};
        },
      });
      const definitions = asList(hourly as JobDefinition<never>);
      await Promise.all([
        new Worker(t.ctx, { definitions, nodeId: 'node-a' }).drain(),
        new Worker(other, { definitions, nodeId: 'node-b' }).drain(),
      ]);
      expect(ran).toHaveLength(1);
      const slots = await t.ctx.database.db.selectFrom('jobs').select('schedule_key').execute();
      // The test clock stands at 12:00: the latest slot is 11:05.
      expect(slots).toEqual([{ schedule_key: 'hourly-sweep@2026-01-15T11:05:00.000Z' }]);
      t.clock.advance(30 * 60_000);
      await new Worker(other, { definitions, nodeId: 'node-b' }).drain();
      expect(ran).toHaveLength(2);
    });

    it('never runs two slots of one scheduled job at once', async () => {
      const ran: string[] = [];
      let startedElsewhere = -1;
      const everyMinute = defineJob({
        name: 'minute-sweep',
        payload: z.object({}),
        schedule: '* * * * *',
        unit: 'rows',
        async run(_ctx, run) {
          ran.push(run.id);
          if (ran.length > 1) return {};
          // The next slot comes due while this run still holds its job.
          t.clock.advance(60_000);
          await run.progress({ done: 1 });
          startedElsewhere = await new Worker(other, { definitions, nodeId: 'node-b' }).drain();
          return {};
        },
      });
      const definitions = asList(everyMinute as JobDefinition<never>);
      await new Worker(t.ctx, { definitions, nodeId: 'node-a' }).drain();
      expect(startedElsewhere).toBe(0);
      // node-b enqueued the 12:01 slot; node-a ran it once the first run ended.
      expect(ran).toHaveLength(2);
    });
  });
});
