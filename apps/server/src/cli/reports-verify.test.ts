import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext, type Context } from '../context.js';
import { seedSceneAccount, seedSceneConversation } from '../domain/erasure/test-scene.js';
import { runCli } from '../test-support/run-cli.js';
import { DRIFT_EXIT_CODE } from './commands/reports.js';

describe('plauder reports verify', { timeout: 90_000 }, () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-reports-'));
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

  it('says nothing drifted for rollups as counted, names a changed count, repairs it, and exits with its status', async () => {
    const accountId = await withDatabase(async (ctx) => {
      const account = await seedSceneAccount(ctx, 'Acme');
      await seedSceneConversation(ctx, { account, operatorId: account.ownerId, close: true, rating: 5 });
      await seedSceneConversation(ctx, { account, messages: 4, close: true });
      return account.accountId;
    });

    const clean = await runCli(['reports', 'verify'], dataDir);
    expect(clean.code, clean.stderr).toBe(0);
    // A row of no operator, one of the owner, and four of sums over the widgets, the operators or both.
    expect(clean.stdout).toBe(`${accountId}: 6 day rows, 0 drifted\naccounts: 1\nrows: 6\ndrifted: 0\n`);

    await withDatabase((ctx) =>
      sql`update rollup_days set messages_visitor = messages_visitor + 1 where widget_id <> '*' and operator_id = ''`.execute(
        ctx.database.db,
      ),
    );
    const drifted = await runCli(['reports', 'verify', '--account', accountId, '--json'], dataDir);
    expect(drifted.code, drifted.stderr).toBe(DRIFT_EXIT_CODE);
    expect(JSON.parse(drifted.stdout)).toEqual({
      accounts: 1,
      rows: 6,
      driftedRows: 1,
      drifts: [
        {
          accountId,
          day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as unknown,
          widgetId: expect.any(String) as unknown,
          operatorId: '',
          metric: 'messages.visitor',
          stored: 7,
          recounted: 6,
        },
      ],
      repaired: 0,
    });

    const repaired = await runCli(['reports', 'verify', '--repair'], dataDir);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(
      /^drifted metrics:\n {2}\S+ \S+ widget \S+ operator \(no operator\) messages\.visitor: stored 7, recounted 6$/m,
    );
    expect(repaired.stdout).toMatch(/^repaired: 1$/m);
    const again = await runCli(['reports', 'verify'], dataDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^drifted: 0$/m);

    const unknown = await runCli(['reports', 'verify', '--account', randomUUID()], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^plauder: No account with id [0-9a-f-]+; plauder account list shows them\n$/);
  });
});
