import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { insertMessage } from '../storage/messages-repository.js';
import { seedVisitorConversation } from '../test-support/fixtures.js';
import { runCli } from '../test-support/run-cli.js';

/** Runs `plauder ARGS` on `dataDir`. */
const plauder = (args: string[], dataDir: string) => runCli(args, dataDir);

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
