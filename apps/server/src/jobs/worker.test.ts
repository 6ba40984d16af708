import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createContext, type Context } from '../context.js';
import { cancelJob } from '../domain/jobs/cancel-job.js';
import { AppError } from '../domain/errors.js';
import { claimJob, findJob } from '../storage/jobs-repository.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { enqueueJob } from './enqueue-job.js';
import { defineJob, type JobDefinition } from './job.js';
import { JOB_LEASE_MS, runJobsNow, Worker } from './worker.js';

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
    const claimed = await claimJob(t.ctx.database.db, {
      dialect: t.ctx.database.dialect,
      names: [job.name],
      nodeId: 'dead-node',
      now: t.clock.now(),
      leaseMs: JOB_LEASE_MS,
    });
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
    const error = await cancelJob(t.ctx, { by: null, jobId: queued.id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('job_finished');
    expect(await row(queued.id)).toMatchObject({ status: 'done', cancel_requested_at: null });
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
  });
});
