import type { BackupHealthDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { recordBackup } from '../storage/backup-status-repository.js';
import { callAs, errorOf, logInAs, type Caller } from '../test-support/http-callers.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { buildServer, type App } from './server.js';

const PASSWORD = 'correct horse battery';
const HOUR_MS = 60 * 60 * 1000;

describe(`the backups' health over HTTP (${testDialect})`, () => {
  let t: TestContext;
  let app: App;
  let owner: Caller;
  let operator: Caller;
  beforeEach(async () => {
    t = await createTestContext();
    app = await buildServer(t.ctx);
    await createAccount(t.ctx, {
      name: 'Acme',
      plan: 'standard',
      owner: { email: 'owner@acme.test', displayName: 'Owner', password: PASSWORD },
      actor: { kind: 'cli', id: null },
    });
    owner = await logInAs(app, { email: 'owner@acme.test', password: PASSWORD });
    const added = await callAs(app, owner, {
      method: 'POST',
      url: '/api/v1/operators',
      payload: { email: 'agent@acme.test', displayName: 'Agent', password: PASSWORD, role: 'operator' },
    });
    expect(added.statusCode, added.body).toBe(201);
    operator = await logInAs(app, { email: 'agent@acme.test', password: PASSWORD });
  });
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  const health = async (caller: Caller) => callAs(app, caller, { method: 'GET', url: '/api/v1/backups/health' });

  /** Records a backup made `hoursAgo` hours ago, verified or not. */
  const record = (hoursAgo: number, ok: boolean) =>
    recordBackup(t.ctx.database.db, {
      info: {
        id: `backup-${hoursAgo}`,
        createdAt: t.clock.now() - hoursAgo * HOUR_MS,
        dialect: t.ctx.database.dialect,
        migrations: [],
        masterKeyId: t.ctx.keyring.masterKeyId,
        dataBytes: 1000,
        keyringBytes: 100,
        rows: {},
        files: { count: 0, bytes: 0 },
      },
      verification: {
        id: `backup-${hoursAgo}`,
        at: t.clock.now(),
        ok,
        keyringId: `backup-${hoursAgo}`,
        problems: ok ? [] : ['table messages did not come back as it was backed up'],
        rows: 10,
        erasedSince: 0,
        durationMs: 5,
      },
    });

  it('tells admins how old the newest verified backup is, and warns past 26 hours and after a failed one', async () => {
    const none = await health(owner);
    expect(none.statusCode, none.body).toBe(200);
    expect(none.json<BackupHealthDto>()).toEqual({
      newestVerifiedAt: null,
      ageHours: null,
      stale: true,
      lastFailed: false,
      staleAfterHours: 26,
    });

    await record(30, true);
    expect((await health(owner)).json<BackupHealthDto>()).toMatchObject({ ageHours: 30, stale: true });
    await record(3, true);
    expect((await health(owner)).json<BackupHealthDto>()).toEqual({
      newestVerifiedAt: t.clock.now() - 3 * HOUR_MS,
      ageHours: 3,
      stale: false,
      lastFailed: false,
      staleAfterHours: 26,
    });
    // A backup that did not restore as made: the newest verified one stays the one of 3 hours ago.
    await record(1, false);
    expect((await health(owner)).json<BackupHealthDto>()).toMatchObject({
      ageHours: 3,
      stale: false,
      lastFailed: true,
    });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toMatchObject({ warnings: ['The last backup did not restore as it was made'] });
  });

  it('refuses operators', async () => {
    const refused = await health(operator);
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('forbidden');
  });
});
