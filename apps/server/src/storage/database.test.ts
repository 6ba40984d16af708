import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAccount } from '../domain/accounts/create-account.js';
import { createTestContext, testDialect, type TestContext } from '../test-support/test-context.js';
import { scrubAfterErasure, SQLITE_FILE } from './database.js';
import type { Schema } from './schema.js';
import { DurableSqliteDialect, WalSync } from './sqlite-driver.js';
import { openSqliteFile } from './sqlite-file.js';
import { insertContact } from './contacts-repository.js';

describe.runIf(testDialect === 'sqlite')('the SQLite database', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('takes the write lock when a transaction begins, so another process waits instead of failing later', async () => {
    const other = new SQLite(path.join(t.dataDir, SQLITE_FILE), { timeout: 0 });
    try {
      await t.ctx.database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('accounts').select('id').execute();
        // A deferred BEGIN would hold no lock yet here; an immediate one holds the write lock.
        expect(() => other.exec('begin immediate')).toThrow(/database is locked/);
      });
      other.exec('begin immediate');
      other.exec('rollback');
    } finally {
      other.close();
    }
  });

  it('leaves no copy of a destroyed key in the database file or the WAL once scrubbed', async () => {
    const { accountId } = await createAccount(t.ctx, {
      name: 'Scrub',
      plan: 'standard',
      owner: { email: 'scrub@acme.test', displayName: 'S', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });
    const contactId = await insertContact(t.ctx.store, { accountId, name: 'Erin', now: t.clock.now() });
    const row = await t.ctx.database.db
      .selectFrom('keyring')
      .select('wrapped_key')
      .where('subject_id', '=', contactId)
      .executeTakeFirstOrThrow();
    const wrapped = row.wrapped_key!;
    const raw = () =>
      Buffer.concat(
        [SQLITE_FILE, `${SQLITE_FILE}-wal`].map((name) => {
          try {
            return readFileSync(path.join(t.dataDir, name));
          } catch {
            return Buffer.alloc(0);
          }
        }),
      );
    expect(raw().includes(wrapped)).toBe(true);

    await t.ctx.database.db
      .transaction()
      .execute((trx) =>
        t.ctx.keyring.destroySubjectKey(trx, { accountId, kind: 'contact', subjectId: contactId, now: t.clock.now() }),
      );
    await scrubAfterErasure(t.ctx.database);
    expect(raw().includes(wrapped)).toBe(false);
    // Emptied by a TRUNCATE checkpoint, which the checkpoint thread's pin on the WAL did not stop.
    expect(statSync(path.join(t.dataDir, `${SQLITE_FILE}-wal`)).size).toBe(0);
  });

  it('copies committed pages into the database file from its checkpoint thread, not in the commits', async () => {
    const file = path.join(t.dataDir, SQLITE_FILE);
    // The server's connection never checkpoints by itself.
    expect(
      await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(t.ctx.database.db),
    ).toMatchObject({
      rows: [{ wal_autocheckpoint: 0 }],
    });
    const before = statSync(file).size;
    const rows = Array.from({ length: 2000 }, (_, i) => ({ key: `filler.${i}`, value: 'x'.repeat(200) }));
    await t.ctx.database.db.transaction().execute(async (trx) => {
      for (const row of rows) await trx.insertInto('meta').values(row).execute();
    });
    await expect.poll(() => statSync(file).size, { timeout: 5000, interval: 50 }).toBeGreaterThan(before + 200_000);
  });

  it('flushes the WAL once per commit and per write outside a transaction, before answering; never for reads', async () => {
    const flushes = vi.spyOn(WalSync.prototype, 'sync');
    try {
      const db = t.ctx.database.db;
      await db.selectFrom('meta').selectAll().execute();
      expect(flushes).toHaveBeenCalledTimes(0);
      await db.insertInto('meta').values({ key: 'flush.one', value: '1' }).execute();
      expect(flushes).toHaveBeenCalledTimes(1);
      await db.transaction().execute(async (trx) => {
        for (const key of ['flush.two', 'flush.three', 'flush.four']) {
          await trx.insertInto('meta').values({ key, value: '1' }).execute();
        }
        expect(flushes).toHaveBeenCalledTimes(1);
      });
      expect(flushes).toHaveBeenCalledTimes(2);
      // The answer comes after the flush it waited for.
      const settled = await Promise.all(flushes.mock.results.map((result) => result.value as Promise<void>));
      expect(settled).toHaveLength(2);
    } finally {
      flushes.mockRestore();
    }
  });

  it('answers commits made without a flush at once, and flushes them with the next write or flush()', async () => {
    const sqlite = openSqliteFile(path.join(t.dataDir, SQLITE_FILE));
    const dialect = new DurableSqliteDialect(sqlite);
    const db = new Kysely<Schema>({ dialect });
    const flushes = vi.spyOn(WalSync.prototype, 'sync');
    try {
      await dialect.withoutFlush(async () => {
        await db.insertInto('meta').values({ key: 'unflushed.one', value: '1' }).execute();
        await db
          .transaction()
          .execute((trx) => trx.insertInto('meta').values({ key: 'unflushed.two', value: '1' }).execute());
      });
      expect(flushes).toHaveBeenCalledTimes(0);
      // The next commit flushes the WAL, theirs included.
      await db.insertInto('meta').values({ key: 'flushed', value: '1' }).execute();
      expect(flushes).toHaveBeenCalledTimes(1);
      await dialect.withoutFlush(() => db.insertInto('meta').values({ key: 'unflushed.three', value: '1' }).execute());
      await dialect.flush();
      expect(flushes).toHaveBeenCalledTimes(2);
    } finally {
      flushes.mockRestore();
      await db.destroy();
    }
  });

  it('shares a flush among the writes that asked while another ran, and starts it after that one', async () => {
    const file = path.join(t.dataDir, `${SQLITE_FILE}-wal`);
    const walSync = new WalSync(file);
    const order: string[] = [];
    const flush = vi.spyOn(walSync as unknown as { flush: () => Promise<void> }, 'flush');
    flush.mockImplementation(async () => {
      order.push('start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('end');
    });
    const first = walSync.sync();
    const waiting = [walSync.sync(), walSync.sync(), walSync.sync()];
    await Promise.all([first, ...waiting]);
    expect(flush).toHaveBeenCalledTimes(2);
    expect(order).toEqual(['start', 'end', 'start', 'end']);
    await walSync.close();
  });
});
