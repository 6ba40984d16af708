import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PinnedCheckpoints, type SyncedFile } from './pinned-checkpoints.js';

describe('PinnedCheckpoints', () => {
  let dir: string;
  let file: string;
  let writer: SQLite.Database;
  let clock: number;
  let syncs: SyncedFile[];
  let onSync: ((synced: SyncedFile) => void) | undefined;
  let checkpoints: PinnedCheckpoints;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-checkpoints-'));
    file = path.join(dir, 'test.db');
    // A writer as the server's connections are: WAL, no checkpoints of its own.
    writer = new SQLite(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    clock = 0;
    syncs = [];
    onSync = undefined;
    checkpoints = new PinnedCheckpoints(file, {
      syncIntervalMs: 1000,
      now: () => clock,
      onSync: (synced) => {
        syncs.push(synced);
        onSync?.(synced);
      },
    });
  });
  afterEach(() => {
    checkpoints.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (rows = 20) => {
    const insert = writer.prepare('INSERT INTO rows (body) VALUES (?)');
    writer.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run('x'.repeat(2000));
    })();
  };
  const walBytes = () => statSync(`${file}-wal`).size;
  /** Asserts that the next write starts the WAL over: its frames overwrite the WAL's first ones. */
  const expectStartsOver = (framesBefore: number) => {
    const before = walBytes();
    write(1);
    expect(walBytes()).toBe(before);
    expect(checkpoints.pass().frames).toBeLessThan(framesBefore);
  };
  /** Writes a row while the database file is flushed; answers whether the WAL grew (was held) then. */
  const writeDuringDatabaseFlush = () => {
    let grew: boolean | undefined;
    onSync = (synced) => {
      if (synced !== 'database') return;
      const size = walBytes();
      write(1);
      grew = walBytes() > size;
    };
    return () => grew;
  };

  it('copies only what it flushed in the WAL first: a commit during the pass waits for the next one', () => {
    write();
    // A commit lands between the WAL's flush and the copy.
    onSync = (synced) => {
      if (synced === 'wal') write(1);
    };
    const pass = checkpoints.pass();
    expect(syncs[0]).toBe('wal');
    expect(pass.copied).toBeGreaterThan(0);
    expect(pass.copied).toBeLessThan(pass.frames);
    onSync = undefined;
    const next = checkpoints.pass();
    expect(next.copied).toBe(next.frames);
  });

  it('keeps the WAL from starting over until the pages it copied are flushed in the database file', () => {
    write();
    const first = checkpoints.pass();
    expect(first.copied).toBe(first.frames);
    // Copied in full, the database file not flushed yet: a write must not overwrite the WAL's frames.
    expect(syncs).toEqual(['wal']);
    const before = walBytes();
    write();
    expect(walBytes()).toBeGreaterThan(before);
    // The next pass flushes the database file before it lets go of the pin that held the WAL: a write
    // during that flush still finds the WAL held.
    const grew = writeDuringDatabaseFlush();
    const second = checkpoints.pass();
    expect(syncs).toEqual(['wal', 'wal', 'database']);
    expect(grew()).toBe(true);
    expect(second.frames).toBeGreaterThan(first.frames);
    // The write during the flush came after this pass's pin began: the next pass copies it.
    expect(second.copied).toBeLessThan(second.frames);
  });

  it('lets the WAL start over after a final pass, which flushes what it copied and keeps no pin', () => {
    write();
    checkpoints.pass();
    const final = checkpoints.pass(true);
    expect(final.copied).toBe(final.frames);
    expect(syncs.at(-1)).toBe('database');
    expectStartsOver(final.frames);
  });

  it('flushes before letting go when the new pin reads the database file alone (a WAL copied in full)', () => {
    write();
    checkpoints.pass();
    // No write between the passes: the second pass's pin finds the WAL copied in full, which keeps
    // the WAL from being copied but not from starting over. The older pin must hold it until the flush.
    const grew = writeDuringDatabaseFlush();
    checkpoints.pass();
    expect(syncs).toEqual(['wal', 'wal', 'database']);
    expect(grew()).toBe(true);
  });

  it('lets the WAL start over once the database file is flushed at its second, without a catch-up', () => {
    write();
    const copied = checkpoints.pass();
    expect(copied.copied).toBe(copied.frames);
    clock += 1000;
    // Due: flushed, and the pin let go.
    checkpoints.pass();
    expect(syncs.at(-1)).toBe('database');
    expectStartsOver(copied.frames);
  });

  it('empties the WAL with a truncate, after a pass that left part of it to copy', () => {
    write();
    onSync = (synced) => {
      if (synced === 'wal') write(1);
    };
    const partly = checkpoints.pass();
    expect(partly.copied).toBeLessThan(partly.frames);
    onSync = undefined;
    expect(checkpoints.truncate()).toBe(true);
    expect(walBytes()).toBe(0);
    expect(writer.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(21);
    // The passes go on from the emptied WAL.
    write(1);
    const after = checkpoints.pass();
    expect(after.copied).toBe(after.frames);
  });

  it('flushes the database file once a second while the WAL keeps growing, not at every copy', () => {
    onSync = (synced) => {
      if (synced === 'wal') write(5);
    };
    for (let pass = 0; pass < 15; pass++) {
      const { frames, copied } = checkpoints.pass();
      expect(copied).toBeLessThan(frames);
      clock += 100;
    }
    // Fifteen passes over 1.4 s: one flush of the database file, at the pass that found it due.
    expect(syncs.filter((synced) => synced === 'database')).toHaveLength(1);
    expect(syncs.filter((synced) => synced === 'wal')).toHaveLength(15);
  });

  it('keeps every row and a sound database through passes, final passes and a reopen', () => {
    onSync = (synced) => {
      if (synced === 'wal') write(3);
    };
    for (let pass = 0; pass < 20; pass++) {
      write(7);
      checkpoints.pass(pass % 5 === 4);
      clock += 100;
    }
    checkpoints.close();
    writer.close();
    const reopened = new SQLite(file);
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(reopened.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(20 * 7 + 20 * 3);
    reopened.close();
    // For afterEach.
    writer = new SQLite(file);
    checkpoints = new PinnedCheckpoints(file);
  });
});
