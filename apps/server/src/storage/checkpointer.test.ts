import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpointer } from './checkpointer.js';
import { migrateToLatest, openDatabase, SQLITE_FILE, type Database } from './database.js';

describe('SQLite checkpoints on their own thread', () => {
  let dataDir: string;
  let database: Database;
  const errors: string[] = [];
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-checkpoints-'));
    database = openDatabase({
      databaseUrl: undefined,
      dataDir,
      backgroundCheckpoints: { onError: (message) => errors.push(message), restartFrames: 64, intervalMs: 10 },
    });
    await migrateToLatest(database);
  });
  afterEach(async () => {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the WAL small under a steady stream of writes, by letting it start over', async () => {
    // About 12 MB of rows, written without a pause: a checkpoint beside them never copies the WAL in
    // full, so without catching up the WAL would hold all of it.
    const value = 'x'.repeat(3000);
    for (let round = 0; round < 100; round++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          database.write((trx) =>
            trx
              .insertInto('meta')
              .values({ key: `row.${round}.${i}`, value })
              .execute(),
          ),
        ),
      );
    }
    const walBytes = statSync(path.join(dataDir, `${SQLITE_FILE}-wal`)).size;
    expect(walBytes).toBeLessThan(3_000_000);
    const rows = await database.db
      .selectFrom('meta')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key', 'like', 'row.%')
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(4000);
    expect(errors).toEqual([]);
  });

  it('reports a thread that ends on its own, and answers a catch-up asked after that at once', async () => {
    const reported: string[] = [];
    let lost = false;
    // A database file its thread cannot open: the thread fails and ends at its start.
    const checkpointer = new Checkpointer({
      file: path.join(dataDir, 'missing', 'nowhere.db'),
      onError: (message) => reported.push(message),
      onLost: () => {
        lost = true;
      },
    });
    await expect.poll(() => lost, { timeout: 5000 }).toBe(true);
    expect(reported.join(' ')).toMatch(/directory does not exist|unable to open/);
    expect(await checkpointer.catchUp()).toBe(false);
    await checkpointer.stop();
  });
});
