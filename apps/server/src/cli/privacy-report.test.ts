import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PrivacyReportDto } from '@plauder/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext, type Context } from '../context.js';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { sweepRetentionJob } from '../jobs/sweep-retention.js';
import { runJobsNow } from '../jobs/worker.js';
import { recordBackup } from '../storage/backup-status-repository.js';
import { runCli } from '../test-support/run-cli.js';
import { NOT_HELD_EXIT_CODE } from './commands/privacy.js';

describe('plauder privacy report', { timeout: 90_000 }, () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-privacy-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs `work` with a context on the CLI's database, closed after. */
  async function withDatabase<T>(work: (ctx: Context) => Promise<T>): Promise<T> {
    const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    try {
      return await work(ctx);
    } finally {
      await ctx.close();
    }
  }

  it('prints one aligned line per check, --json the report, and exits with 3 while a line does not hold', async () => {
    const { accountId, conversationId } = await withDatabase(async (ctx) => {
      const account = await seedSceneAccount(ctx, 'Acme');
      const { conversationId } = await seedSceneConversation(ctx, { account });
      // A sweep that finished and a verified backup of an hour ago: every line holds.
      await runJobsNow(ctx, { definitions: [sweepRetentionJob] });
      const now = ctx.clock.now();
      await recordBackup(ctx.database.db, {
        info: {
          id: 'backup-1',
          createdAt: now - 60 * 60 * 1000,
          dialect: ctx.database.dialect,
          migrations: [],
          masterKeyId: ctx.keyring.masterKeyId,
          dataBytes: 1000,
          keyringBytes: 100,
          rows: {},
          files: { count: 0, bytes: 0 },
        },
        verification: {
          id: 'backup-1',
          at: now,
          ok: true,
          keyringId: 'backup-1',
          problems: [],
          rows: 10,
          erasedSince: 0,
          durationMs: 5,
        },
      });
      return { accountId: account.accountId, conversationId };
    });

    const clean = await runCli(['privacy', 'report'], dataDir);
    expect(clean.code, clean.stderr).toBe(0);
    const lines = clean.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^Privacy report of this installation, \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, DATA_REGION local$/,
    );
    expect(lines).toContain('Installation');
    expect(lines).toContain(`Account Acme (${accountId})`);
    expect(clean.stdout).toMatch(
      /^ {2}holds {10}Database {16}SQLite, .*plauder\.db; region local, inside DATA_REGION local$/m,
    );
    expect(clean.stdout).toMatch(/^ {2}holds {10}Stored visitor IPs {6}No visitor IP is stored$/m);
    expect(clean.stdout).toMatch(/^All 13 lines hold\.\n$/m);
    expect(clean.stdout).not.toContain('does not hold');

    // A visitor IP collected 25 hours ago, still stored.
    await withDatabase((ctx) =>
      ctx.database.db
        .updateTable('conversations')
        .set({ visitor_ip_sealed: randomBytes(48), visitor_ip_expires_at: ctx.clock.now() - 2 * 60 * 60 * 1000 })
        .where('id', '=', conversationId)
        .execute(),
    );
    const failing = await runCli(['privacy', 'report'], dataDir);
    expect(failing.code, failing.stderr).toBe(NOT_HELD_EXIT_CODE);
    expect(failing.stdout).toMatch(
      /^ {2}does not hold {2}Stored visitor IPs {6}1 visitor IP stored; 1 is older than 24 hours, the oldest is 25 hours old$/m,
    );
    expect(failing.stdout).toMatch(/^12 of 13 lines hold; 1 does not\.$/m);

    const json = await runCli(['privacy', 'report', '--account', accountId, '--json'], dataDir);
    expect(json.code, json.stderr).toBe(NOT_HELD_EXIT_CODE);
    const report = PrivacyReportDto.parse(JSON.parse(json.stdout));
    expect(report.holds).toBe(false);
    expect(report.accounts.map((account) => account.accountId)).toEqual([accountId]);
    expect(report.accounts[0]?.lines.find((line) => line.id === 'visitor-ip')?.holds).toBe(false);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);

    const unknown = await runCli(['privacy', 'report', '--account', randomUUID()], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^plauder: No account with id [0-9a-f-]+; plauder account list shows them\n$/);
  });
});
