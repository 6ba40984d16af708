import type { JobDto, JobList } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAccount } from '../domain/accounts/create-account.js';
import { enqueueJob } from '../jobs/enqueue-job.js';
import { defineJob } from '../jobs/job.js';
import { callAs, errorOf, logInAs, type Caller } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const noop = defineJob({ name: 'noop', payload: z.object({}), unit: 'items', run: () => Promise.resolve({}) });

describe(`the jobs API (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  async function account(name: string): Promise<{ accountId: string; owner: Caller }> {
    const email = `owner@${name}.test`;
    const created = await createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email, displayName: 'Owner', password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    return { accountId: created.accountId, owner: await logInAs(app, { email, password: PASSWORD }) };
  }

  it("shows and cancels the account's own jobs, and no other account's", async () => {
    const a = await account('alpha');
    const b = await account('beta');
    const job = await enqueueJob(t.ctx, { job: noop, payload: {}, accountId: a.accountId, total: 7 });
    await enqueueJob(t.ctx, { job: noop, payload: {}, accountId: null });

    const list = await callAs(app, a.owner, { method: 'GET', url: '/api/v1/jobs' });
    expect(list.statusCode).toBe(200);
    expect(list.json<JobList>().jobs.map((j) => j.id)).toEqual([job.id]);
    const shown = await callAs(app, a.owner, { method: 'GET', url: `/api/v1/jobs/${job.id}` });
    expect(shown.json()).toMatchObject({ id: job.id, status: 'queued', done: 0, total: 7, unit: 'items' });

    expect((await callAs(app, b.owner, { method: 'GET', url: '/api/v1/jobs' })).json()).toEqual({ jobs: [] });
    const foreign = await callAs(app, b.owner, { method: 'GET', url: `/api/v1/jobs/${job.id}` });
    expect(foreign.statusCode).toBe(404);
    const foreignCancel = await callAs(app, b.owner, { method: 'POST', url: `/api/v1/jobs/${job.id}/cancel` });
    expect(foreignCancel.statusCode).toBe(404);

    const cancelled = await callAs(app, a.owner, { method: 'POST', url: `/api/v1/jobs/${job.id}/cancel` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json<JobDto>().status).toBe('cancelled');
    const again = await callAs(app, a.owner, { method: 'POST', url: `/api/v1/jobs/${job.id}/cancel` });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('job_finished');
  });

  it('keeps jobs from operators below admin and answers 400 to an id that is not one', async () => {
    const a = await account('alpha');
    const created = await callAs(app, a.owner, {
      method: 'POST',
      url: '/api/v1/operators',
      payload: { email: 'op@alpha.test', displayName: 'Op', password: PASSWORD, role: 'operator' },
    });
    expect(created.statusCode).toBe(201);
    const operator = await logInAs(app, { email: 'op@alpha.test', password: PASSWORD });
    const denied = await callAs(app, operator, { method: 'GET', url: '/api/v1/jobs' });
    expect(denied.statusCode).toBe(403);
    expect(errorOf(denied).code).toBe('forbidden');
    const bad = await callAs(app, a.owner, { method: 'GET', url: '/api/v1/jobs/not-a-uuid' });
    expect(bad.statusCode).toBe(400);
    const unknown = await callAs(app, a.owner, {
      method: 'POST',
      url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000/cancel',
    });
    expect(unknown.statusCode).toBe(404);
  });
});
