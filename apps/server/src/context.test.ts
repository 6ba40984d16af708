import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount } from './domain/accounts/create-account.js';
import { ensureDemoAccount } from './cli/serve.js';
import { createContext } from './context.js';
import { listAccounts } from './storage/accounts-repository.js';
import { getMeta } from './storage/meta-repository.js';
import {
  createSchema,
  createTestContext,
  dropSchema,
  testConfig,
  testDialect,
  type TestContext,
} from './test-support/test-context.js';

describe('createContext', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext({ env: { DATA_REGION: 'eu-central' } });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('declares the data region at the first start', async () => {
    expect(await getMeta(t.ctx.database.db, 'data_region')).toBe('eu-central');
    expect(await getMeta(t.ctx.database.db, 'master_key_id')).toBe(t.ctx.keyring.masterKeyId);
  });

  it('refuses to start in another region than the data was declared in', async () => {
    const env = {
      DATA_REGION: 'us-east',
      ...(t.config.masterKey ? { PLAUDER_MASTER_KEY: t.config.masterKey.toString('base64') } : {}),
    };
    await expect(createContext(testConfig(t.dataDir, env), { schema: t.schema })).rejects.toThrow(
      /DATA_REGION is "us-east" but this installation's data was declared in "eu-central"/,
    );
  });

  it.runIf(testDialect === 'sqlite')('keeps the SQLite files readable by their owner only', async () => {
    await createAccount(t.ctx, {
      name: 'Modes',
      plan: 'standard',
      owner: { email: 'modes@acme.test', displayName: 'M', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    for (const name of ['plauder.db', 'plauder.db-wal', 'master.key']) {
      expect(statSync(path.join(t.dataDir, name)).mode & 0o777, name).toBe(0o600);
    }
  });

  it.runIf(testDialect === 'sqlite')(
    'refuses to start when the key file of an existing installation is missing',
    async () => {
      const keyFile = path.join(t.dataDir, 'master.key');
      const original = readFileSync(keyFile);
      rmSync(keyFile);
      await expect(createContext(testConfig(t.dataDir, { DATA_REGION: 'eu-central' }))).rejects.toThrow(
        /master\.key is missing.*restore that key file/,
      );
      // Nothing was changed: no new key file stands in the way of restoring the real one.
      expect(existsSync(keyFile)).toBe(false);
      writeFileSync(keyFile, original, { mode: 0o600 });
      const again = await createContext(testConfig(t.dataDir, { DATA_REGION: 'eu-central' }));
      await again.close();
    },
  );

  it.runIf(testDialect === 'sqlite')('creates a demo account on the first embedded start only', async () => {
    const first = await ensureDemoAccount(t.ctx);
    expect(first?.email).toBe('owner@demo.plauder.local');
    expect(first?.password.length).toBeGreaterThanOrEqual(16);
    expect(await ensureDemoAccount(t.ctx)).toBeUndefined();
    expect(await listAccounts(t.ctx.database.db)).toHaveLength(1);
  });

  it.runIf(testDialect === 'postgres')('creates no demo account on PostgreSQL', async () => {
    expect(await ensureDemoAccount(t.ctx)).toBeUndefined();
    expect(await listAccounts(t.ctx.database.db)).toHaveLength(0);
  });
});

describe.runIf(testDialect === 'postgres')('nodes starting together on a new PostgreSQL database', () => {
  it('start, and share one set of installation keys', async () => {
    const schema = await createSchema();
    const masterKey = randomBytes(32).toString('base64');
    const dataDirs = Array.from({ length: 4 }, () => mkdtempSync(path.join(tmpdir(), 'plauder-node-')));
    try {
      const started = await Promise.allSettled(
        dataDirs.map((dataDir) => createContext(testConfig(dataDir, { PLAUDER_MASTER_KEY: masterKey }), { schema })),
      );
      const contexts = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      try {
        expect(started.filter((result) => result.status === 'rejected')).toEqual([]);
        const keys = await contexts[0]!.database.db
          .selectFrom('keyring')
          .select('subject_id')
          .where('kind', '=', 'installation')
          .execute();
        expect(new Set(keys.map((key) => key.subject_id)).size).toBe(keys.length);
      } finally {
        for (const ctx of contexts) await ctx.close();
      }
    } finally {
      await dropSchema(schema);
      for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
