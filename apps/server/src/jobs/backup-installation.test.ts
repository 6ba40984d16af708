import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupHealth } from '../backup/backup-health.js';
import { listBackups, listKeyrings } from '../backup/backups.js';
import { LocalDirectoryTarget } from '../backup/local-directory-target.js';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { backupStatus } from '../storage/backup-status-repository.js';
import { listJobs } from '../storage/jobs-repository.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { runJobsNow } from './worker.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

describe(`the daily backup (${testDialect})`, () => {
  let t: TestContext;
  let dir: string;
  let target: LocalDirectoryTarget;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-daily-backups-'));
    t = await createTestContext({
      env: {
        BACKUP_TIME: '03:00',
        BACKUP_DIR: dir,
        BACKUP_KEEP_DAILY: '2',
        BACKUP_KEEP_WEEKLY: '0',
        BACKUP_KEEP_MONTHLY: '0',
        BACKUP_KEYRING_DAYS: '1',
      },
    });
    target = new LocalDirectoryTarget(dir);
  });
  afterEach(async () => {
    await target.close();
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up at BACKUP_TIME, proves each backup, records the newest verified one, and rotates the old ones away', async () => {
    const acme = await seedSceneAccount(t.ctx, 'Acme');
    await seedSceneConversation(t.ctx, { account: acme, file: true, messages: 3 });
    expect(backupHealth(await backupStatus(t.ctx.database.db), t.clock.now())).toMatchObject({ stale: true });

    // 12:00: the slot of 03:00 today is due.
    await runJobsNow(t.ctx);
    const [first] = await listBackups(target);
    expect(first).toMatchObject({ rows: { conversations: 1, messages: 4 }, verification: { ok: true } });
    const jobs = await listJobs(t.ctx.database.db, { accountId: null, limit: 10 });
    expect(jobs.find((job) => job.name === 'backup-installation')).toMatchObject({ status: 'done' });
    const health = backupHealth(await backupStatus(t.ctx.database.db), t.clock.now());
    expect(health).toMatchObject({ newestVerifiedAt: first?.createdAt, ageHours: 0, stale: false, lastFailed: false });
    // Run again the same day: the slot was taken, nothing new.
    await runJobsNow(t.ctx);
    expect(await listBackups(target)).toHaveLength(1);

    // 27 hours without one: the readiness check warns.
    expect(backupHealth(await backupStatus(t.ctx.database.db), t.clock.now() + 27 * HOUR_MS)).toMatchObject({
      ageHours: 27,
      stale: true,
    });

    for (let day = 1; day <= 3; day++) {
      t.clock.advance(DAY_MS);
      await runJobsNow(t.ctx);
    }
    // Two days kept; keyrings younger than a day, and the newest.
    const kept = await listBackups(target);
    expect(kept).toHaveLength(2);
    expect(kept.every((backup) => backup.verification?.ok)).toBe(true);
    expect(await listKeyrings(target)).toEqual([kept[0]?.id]);
  });
});
