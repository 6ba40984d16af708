import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepingWritesPrepared } from './sqlite-file.js';

describe('keepingWritesPrepared', () => {
  let dir: string;
  let sqlite: SQLite.Database;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-sqlite-file-'));
    sqlite = new SQLite(path.join(dir, 'test.db'));
    sqlite.exec('CREATE TABLE t (n INTEGER NOT NULL)');
  });
  afterEach(() => {
    if (sqlite.open) sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepares a writing statement once, and a reading one each time', () => {
    const database = keepingWritesPrepared(sqlite);
    const insert = 'INSERT INTO t (n) VALUES (?)';
    expect(database.prepare(insert)).toBe(database.prepare(insert));
    const select = 'SELECT n FROM t';
    expect(database.prepare(select)).not.toBe(database.prepare(select));
  });

  it('runs kept writes again and again through Kysely, and streams the same read twice', async () => {
    const db = new Kysely<{ t: { n: number } }>({
      dialect: new SqliteDialect({ database: keepingWritesPrepared(sqlite) }),
    });
    try {
      for (let n = 0; n < 5; n++) await db.insertInto('t').values({ n }).execute();
      const read = async () => {
        const seen: number[] = [];
        for await (const row of db.selectFrom('t').select('n').orderBy('n').stream(2)) {
          seen.push(row.n);
          if (seen.length === 2) break;
        }
        return seen;
      };
      // A stream left early, then the same read again.
      expect(await read()).toEqual([0, 1]);
      expect(await read()).toEqual([0, 1]);
      const { n } = (await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db)).rows[0] ?? { n: 0 };
      expect(n).toBe(5);
    } finally {
      await db.destroy();
    }
  });
});
