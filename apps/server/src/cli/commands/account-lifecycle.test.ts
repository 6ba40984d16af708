import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createContext } from '../../context.js';
import { seedOwnerAccount } from '../../test-support/fixtures.js';
import { runCli, type CliRun } from '../../test-support/run-cli.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs `plauder ARGS` on `dataDir`, with a grace period of three days. */
const plauder = (args: string[], dataDir: string) => runCli(args, dataDir, { ACCOUNT_GRACE_DAYS: '3' });

interface AccountState {
  accountId: string;
  name: string;
  status: string;
  terminatedAt: number | null;
  purgeAfterAt: number | null;
}

/** The one JSON line a --json command prints on stdout. */
function jsonOf(run: CliRun): AccountState {
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  // Safe: the command prints one JSON object of this shape (cli/commands/account-lifecycle.ts).
  return JSON.parse(lines[0] ?? '') as AccountState;
}

describe('plauder account terminate and restore', { timeout: 90_000 }, () => {
  let dataDir: string;
  let accountId: string;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-cli-lifecycle-'));
    const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    try {
      ({ accountId } = await seedOwnerAccount(ctx, 'Acme'));
    } finally {
      await ctx.close();
    }
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('terminates with a chosen grace period, refuses a second time, restores, and refuses a second restore', async () => {
    const terminated = jsonOf(
      await plauder(['account', 'terminate', '--account', accountId, '--grace-days', '7', '--json'], dataDir),
    );
    expect(terminated).toMatchObject({ accountId, name: 'Acme', status: 'terminated' });
    expect(terminated.purgeAfterAt).toBe((terminated.terminatedAt ?? 0) + 7 * DAY_MS);

    const again = await plauder(['account', 'terminate', '--account', accountId], dataDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('terminated already');

    expect(jsonOf(await plauder(['account', 'restore', '--account', accountId, '--json'], dataDir))).toEqual({
      accountId,
      name: 'Acme',
      status: 'active',
      terminatedAt: null,
      purgeAfterAt: null,
    });
    const restoredAgain = await plauder(['account', 'restore', '--account', accountId], dataDir);
    expect(restoredAgain.code).toBe(2);
    expect(restoredAgain.stderr).toContain('nothing to restore');
  });

  it('prints dates for people, with the default grace period of ACCOUNT_GRACE_DAYS', async () => {
    const run = await plauder(['account', 'terminate', '--account', accountId], dataDir);
    expect(run.code, run.stderr).toBe(0);
    const field = (label: string) =>
      run.stdout
        .split('\n')
        .find((line) => line.startsWith(`${label}: `))
        ?.slice(label.length + 2) ?? '';
    expect(run.stdout).toContain('status: terminated');
    expect(Date.parse(field('purgeAfterAt')) - Date.parse(field('terminatedAt'))).toBe(3 * DAY_MS);
    expect(run.stdout).toContain('plauder account restore');
  });

  it('answers an unknown account and a bad --grace-days with a clear message and status 2', async () => {
    const unknown = await plauder(['account', 'restore', '--account', randomUUID()], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No account with id');
    const bad = await plauder(['account', 'terminate', '--account', accountId, '--grace-days', 'soon'], dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--grace-days must be a whole number from 0 to 365 (got "soon")');
  });
});
