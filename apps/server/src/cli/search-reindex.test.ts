import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { insertMessage } from '../storage/messages-repository.js';
import { seedVisitorConversation } from '../test-support/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const entry = path.join(root, 'apps/server/src/cli/run.ts');

/** Runs `plauder ARGS` in embedded mode on `dataDir` (whatever the test run's dialect) to its end. */
function plauder(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('plauder search reindex', { timeout: 90_000 }, () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-search-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Two accounts, with messages stored as before the search index (no tokens): 2 and 1. */
  async function seedOldMessages(): Promise<string[]> {
    const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    try {
      const accountIds: string[] = [];
      for (const bodies of [['Wo ist mein Paket?', 'Paket kam an'], ['Rechnung bitte']]) {
        const where = await seedVisitorConversation(ctx);
        accountIds.push(where.accountId);
        for (const body of bodies) {
          const now = ctx.clock.now();
          await insertMessage(ctx.store, { ...where, clientMessageId: randomUUID(), authorKind: 'visitor', body, now });
        }
      }
      return accountIds;
    } finally {
      await ctx.close();
    }
  }

  it('writes the missing tokens of one account or all, counts them, and finds nothing to do the second time', async () => {
    const [first] = await seedOldMessages();
    const one = await plauder(['search', 'reindex', '--account', first ?? '', '--json'], dataDir);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({
      accounts: 1,
      messages: 2,
      indexed: 2,
      alreadyIndexed: 0,
      withoutWords: 0,
      unreadable: 0,
      skipped: 0,
      tokens: 4 + 3,
    });

    const all = await plauder(['search', 'reindex', '--batch-size', '1'], dataDir);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain(`${first}: 2 messages, 0 indexed now, 2 already`);
    expect(all.stdout).toMatch(/^indexed: 1$/m);
    expect(all.stdout).toMatch(/^alreadyIndexed: 2$/m);
    expect(all.stdout).toMatch(/^tokens: 2$/m);

    const unknown = await plauder(['search', 'reindex', '--account', randomUUID()], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^plauder: No account with id [0-9a-f-]+; plauder account list shows them\n$/);
    const badBatch = await plauder(['search', 'reindex', '--batch-size', '0'], dataDir);
    expect(badBatch.code).toBe(2);
    expect(badBatch.stderr).toBe('plauder: --batch-size must be a whole number from 1 to 5000 (got "0")\n');
  });
});
