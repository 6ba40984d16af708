import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { seedOwnerAccount } from '../test-support/fixtures.js';
import { runCli } from '../test-support/run-cli.js';

describe('plauder plan and plauder account plan', { timeout: 90_000 }, () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-plans-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const json = async (args: string[]) => {
    const run = await runCli([...args, '--json'], dataDir);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as unknown;
  };

  it('sets, lists, assigns and deletes plans, and refuses what would break one, with exit code 2', async () => {
    const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    const { accountId } = await seedOwnerAccount(ctx, 'acme');
    await ctx.close();

    expect(await json(['plan', 'set', 'plus', '--functions', 'webhooks,email'])).toEqual({
      name: 'plus',
      functions: ['email', 'webhooks'],
      accounts: 0,
    });
    expect(await json(['account', 'plan', '--account', accountId, '--plan', 'plus'])).toEqual({
      accountId,
      plan: 'plus',
    });
    expect(await json(['plan', 'list'])).toEqual({
      plans: [
        { name: 'plus', functions: ['email', 'webhooks'], accounts: 1 },
        { name: 'standard', functions: [], accounts: 0 },
      ],
    });
    const listed = await runCli(['plan', 'list'], dataDir);
    expect(listed.stdout).toMatch(/plus\s+1 accounts\s+email, webhooks/);
    expect(listed.stdout).toMatch(/standard\s+0 accounts\s+\(no optional functions\)/);

    const inUse = await runCli(['plan', 'delete', 'plus'], dataDir);
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toMatch(/assigned to 1 account; assign them another plan first/);
    const unknownFunction = await runCli(['plan', 'set', 'plus', '--functions', 'email,ai'], dataDir);
    expect(unknownFunction.code).toBe(2);
    expect(unknownFunction.stderr).toMatch(/No optional function "ai"/);
    const unknownPlan = await runCli(['account', 'plan', '--account', accountId, '--plan', 'gold'], dataDir);
    expect(unknownPlan.code).toBe(2);
    expect(unknownPlan.stderr).toMatch(/There is no plan "gold"/);

    expect(await json(['plan', 'set', 'plus', '--functions', ''])).toMatchObject({ functions: [] });
    await json(['account', 'plan', '--account', accountId, '--plan', 'standard']);
    expect(await json(['plan', 'delete', 'plus'])).toEqual({ deleted: 'plus' });
  });
});
