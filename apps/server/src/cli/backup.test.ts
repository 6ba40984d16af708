import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext, type Context } from '../context.js';
import { MASTER_KEY_FILE } from '../crypto/master-key.js';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { listMessages } from '../storage/messages-repository.js';
import { allConversationIds } from '../test-support/table-snapshots.js';
import { runCli } from '../test-support/run-cli.js';
import { VERIFY_FAILED_EXIT_CODE } from './commands/backup.js';

describe('plauder backup and plauder restore', { timeout: 120_000 }, () => {
  let dataDir: string;
  let restoreDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-backup-'));
    restoreDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-restore-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(restoreDir, { recursive: true, force: true });
  });

  async function withContext<T>(dir: string, work: (ctx: Context) => Promise<T>): Promise<T> {
    const ctx = await createContext(loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', BACKUP_TIME: 'off' }));
    try {
      return await work(ctx);
    } finally {
      await ctx.close();
    }
  }

  it('backs up and proves it, lists it, restores it into an empty installation, and refuses a full one', async () => {
    const seeded = await withContext(dataDir, async (ctx) => {
      const account = await seedSceneAccount(ctx, 'Acme');
      const chat = await seedSceneConversation(ctx, { account, file: true, messages: 3 });
      const bodies = (
        await listMessages(ctx.store, { accountId: account.accountId, conversationId: chat.conversationId })
      ).map((message) => message.body);
      return { account, chat, bodies };
    });

    const made = await runCli(['backup', '--json'], dataDir);
    expect(made.code, made.stderr).toBe(0);
    const info = JSON.parse(made.stdout) as { id: string; rows: Record<string, number>; verification: { ok: boolean } };
    expect(info.rows).toMatchObject({ conversations: 1, messages: 4, attachments: 1 });
    expect(info.verification.ok).toBe(true);

    const listed = await runCli(['backup', 'list'], dataDir);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${info.id} +\\d+ min ago +[\\d.]+ MB +verified$`, 'm'));
    const verified = await runCli(['backup', 'verify', info.id], dataDir);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^verification: verified$/m);

    // A new installation: no master key yet, then the old one's key file.
    const backups = path.join(dataDir, 'backups');
    const keyless = await runCli(['restore', '--from', backups], restoreDir);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/^plauder: There is no master key/);
    copyFileSync(path.join(dataDir, MASTER_KEY_FILE), path.join(restoreDir, MASTER_KEY_FILE));
    const restored = await runCli(['restore', '--from', backups, '--json'], restoreDir);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ id: info.id, files: 1, erasedSince: 0 });
    await withContext(restoreDir, async (ctx) => {
      expect(await allConversationIds(ctx.database.db)).toEqual([seeded.chat.conversationId]);
      const messages = await listMessages(ctx.store, {
        accountId: seeded.account.accountId,
        conversationId: seeded.chat.conversationId,
      });
      expect(messages.map((message) => message.body)).toEqual(seeded.bodies);
    });
    const again = await runCli(['restore', '--from', backups], restoreDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^plauder: A restore writes into an empty database only/);

    // A damaged backup fails its verification with its own status.
    const [folder] = readdirSync(path.join(backups, 'backups'));
    const data = path.join(backups, 'backups', folder as string, 'data.plbk');
    const bytes = readFileSync(data);
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] as number) ^ 0xff;
    writeFileSync(data, bytes);
    const damaged = await runCli(['backup', 'verify'], dataDir);
    expect(damaged.code).toBe(VERIFY_FAILED_EXIT_CODE);
    expect(damaged.stdout).toMatch(/^problem: .*is damaged/m);
  });
});
