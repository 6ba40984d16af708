import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/config.js';
import { createContext, type Clock, type Context } from '../context.js';
import type { DialectName } from '../storage/database.js';

/** The dialect this test run uses: PostgreSQL when DATABASE_URL is set (npm run test:pg), else SQLite. */
export const testDialect: DialectName = process.env.DATABASE_URL ? 'postgres' : 'sqlite';

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private at = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.at;
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

/** A context on a fresh, isolated database of the run's dialect, and how to remove it again. */
export interface TestContext {
  ctx: Context;
  clock: TestClock;
  config: Config;
  dataDir: string;
  /** PostgreSQL: the schema that isolates this context. */
  schema: string | undefined;
  cleanup(): Promise<void>;
}

/**
 * Configuration for a test context; `env` adds or overrides variables. With DATABASE_URL (and
 * REDIS_URL) set, as `npm run test:pg` does, contexts use PostgreSQL (and the Redis bus).
 */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    // No daily backup in every test that runs the due jobs; the backup job's own tests turn it on.
    BACKUP_TIME: 'off',
    ...(process.env.DATABASE_URL
      ? { DATABASE_URL: process.env.DATABASE_URL, PLAUDER_MASTER_KEY: randomBytes(32).toString('base64') }
      : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    // A test that declares a data region runs its servers there (loadConfig refuses them undeclared).
    ...(env.DATA_REGION ? { DATABASE_REGION: env.DATA_REGION, REDIS_REGION: env.DATA_REGION } : {}),
    ...env,
  });
}

/** Creates a PostgreSQL schema for one test context. */
export async function createSchema(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  return schema;
}

/** Drops a test schema. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/**
 * Opens a migrated context on a new database: a temp directory for SQLite, a new schema on PostgreSQL.
 * `logger` replaces the process logger, for tests that read the log lines.
 */
export async function createTestContext(
  options: { env?: Record<string, string>; clock?: TestClock; logger?: Logger } = {},
): Promise<TestContext> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-test-'));
  const config = testConfig(dataDir, options.env);
  const clock = options.clock ?? new TestClock();
  const schema = testDialect === 'postgres' ? await createSchema() : undefined;
  let ctx: Context;
  try {
    ctx = await createContext(config, {
      clock,
      ...(schema ? { schema } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (error) {
    // Leave nothing behind when the context cannot be made; the caller sees the real error.
    if (schema) await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ctx,
    clock,
    config,
    dataDir,
    schema,
    async cleanup() {
      await ctx.close();
      if (schema) await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
