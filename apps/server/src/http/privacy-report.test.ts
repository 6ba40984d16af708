import { randomBytes } from 'node:crypto';
import { PrivacyReportDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { sweepRetentionJob } from '../jobs/sweep-retention.js';
import { runJobsNow } from '../jobs/worker.js';
import { countEgressRefusal } from '../storage/egress-repository.js';
import { callAs, errorOf, logInAs, type Caller } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

describe(`the privacy report over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let acmeId: string;
  let owner: Caller;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    acmeId = (
      await createAccount(t.ctx, {
        name: 'Acme',
        plan: 'standard',
        owner: { email: 'owner@acme.test', displayName: 'Owner', password: PASSWORD },
        actor: { kind: 'cli', id: null },
      })
    ).accountId;
    owner = await logInAs(app, { email: 'owner@acme.test', password: PASSWORD });
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  const privacyReport = (caller: Caller) => callAs(app, caller, { method: 'GET', url: '/api/v1/privacy/report' });

  async function colleague(email: string, role: 'admin' | 'operator'): Promise<Caller> {
    const added = await callAs(app, owner, {
      method: 'POST',
      url: '/api/v1/operators',
      payload: { email, displayName: 'Colleague', password: PASSWORD, role },
    });
    expect(added.statusCode, added.body).toBe(201);
    return logInAs(app, { email, password: PASSWORD });
  }

  it("gives admins and owners their own account's report, and nothing of another account's", async () => {
    await runJobsNow(t.ctx, { definitions: [sweepRetentionJob] });
    const before = await privacyReport(owner);
    expect(before.statusCode, before.body).toBe(200);
    const own = PrivacyReportDto.parse(before.json());
    expect(own.accounts.map((account) => [account.accountId, account.name])).toEqual([[acmeId, 'Acme']]);
    expect(own.accounts[0]?.lines.map((line) => [line.id, line.holds])).toEqual([
      ['processors', true],
      ['retention', true],
      ['visitor-ip', true],
      ['egress', true],
    ]);
    // The installation's optional functions, without how many other accounts use them.
    expect(own.installation.find((line) => line.id === 'functions')?.detail).toBe(
      'Email notifications: not set up; Webhooks: set up; Machine translation: not set up',
    );

    // Another account with a stored IP past 24 hours, a conversation past its window and refused calls.
    const globex = await seedSceneAccount(t.ctx, 'Globex');
    const { conversationId } = await seedSceneConversation(t.ctx, { account: globex, close: true });
    const longAgo = t.clock.now() - 400 * DAY_MS;
    await t.ctx.database.db
      .updateTable('conversations')
      .set({
        visitor_ip_sealed: randomBytes(48),
        visitor_ip_expires_at: t.clock.now() - 2 * HOUR_MS,
        created_at: longAgo,
        updated_at: longAgo,
        closed_at: longAgo,
      })
      .where('id', '=', conversationId)
      .execute();
    await countEgressRefusal(t.ctx.database.db, {
      accountId: globex.accountId,
      fn: 'webhooks',
      host: 'globex-hooks.test',
      at: t.clock.now(),
    });

    const after = await privacyReport(await colleague('admin@acme.test', 'admin'));
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json()).toEqual({ ...own, generatedAt: expect.any(Number) as unknown });
    expect(after.body).not.toContain(globex.accountId);
    expect(after.body).not.toContain('Globex');
    expect(after.body).not.toContain('globex-hooks.test');
  });

  it('is described in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    const { paths } = response.json<{ paths: Record<string, Record<string, { tags: string[] }>> }>();
    expect(paths['/api/v1/privacy/report']?.get?.tags).toEqual(['privacy']);
  });

  it('refuses operators', async () => {
    const refused = await privacyReport(await colleague('agent@acme.test', 'operator'));
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('forbidden');
  });
});
