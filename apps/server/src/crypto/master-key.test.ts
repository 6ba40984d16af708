import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  discardNextMasterKey,
  loadMasterKey,
  MASTER_KEY_FILE,
  MasterKeyFileError,
  masterKeyId,
  NEXT_MASTER_KEY_FILE,
  promoteNextMasterKey,
  readNextMasterKey,
  writeNextMasterKey,
} from './master-key.js';

describe('master key', () => {
  let dataDir: string;
  let keyFile: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'plauder-master-key-'));
    keyFile = path.join(dataDir, MASTER_KEY_FILE);
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const load = () => loadMasterKey({ configured: undefined, embedded: true, dataDir });

  it('generates a 32-byte key file readable by its owner only, and reuses it on the next load', () => {
    const first = load();
    expect(first.source).toBe('generated-key-file');
    expect(first.key).toHaveLength(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const second = load();
    expect(second.source).toBe('key-file');
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('creates DATA_DIR when it does not exist yet', () => {
    const nested = path.join(dataDir, 'not', 'yet');
    const loaded = loadMasterKey({ configured: undefined, embedded: true, dataDir: nested });
    expect(loaded.source).toBe('generated-key-file');
    expect(existsSync(path.join(nested, MASTER_KEY_FILE))).toBe(true);
  });

  it('refuses a key file that others can read, naming the file and the chmod that fixes it', () => {
    load();
    chmodSync(keyFile, 0o644);
    expect(load).toThrow(MasterKeyFileError);
    expect(load).toThrow(keyFile);
    expect(load).toThrow(`chmod 600 ${keyFile}`);
    chmodSync(keyFile, 0o600);
    expect(load().source).toBe('key-file');
  });

  it('refuses a key file that does not hold 32 bytes in base64', () => {
    writeFileSync(keyFile, 'not a key\n', { mode: 0o600 });
    expect(load).toThrow(MasterKeyFileError);
    expect(load).toThrow(/does not hold 32 bytes/);
    writeFileSync(keyFile, `${randomBytes(16).toString('base64')}\n`, { mode: 0o600 });
    expect(load).toThrow(/does not hold 32 bytes/);
  });

  it('uses the configured key over a key file, and writes no file for it', () => {
    const configured = randomBytes(32);
    const fresh = loadMasterKey({ configured, embedded: true, dataDir });
    expect(fresh).toEqual({ key: configured, source: 'environment' });
    expect(existsSync(keyFile)).toBe(false);
    const fromFile = load().key;
    const again = loadMasterKey({ configured, embedded: true, dataDir });
    expect(again.key.equals(configured)).toBe(true);
    expect(again.key.equals(fromFile)).toBe(false);
  });

  it('requires a configured key outside the embedded mode and writes no key file', () => {
    expect(() => loadMasterKey({ configured: undefined, embedded: false, dataDir })).toThrow(/PLAUDER_MASTER_KEY/);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('derives a stable UUID-shaped id from a key, different for every key', () => {
    const key = randomBytes(32);
    const id = masterKeyId(key);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(masterKeyId(Buffer.from(key))).toBe(id);
    expect(masterKeyId(randomBytes(32))).not.toBe(id);
  });

  describe('next key of a rotation', () => {
    it('is written readable by its owner only and read back', () => {
      const next = randomBytes(32);
      const file = writeNextMasterKey(dataDir, next);
      expect(file).toBe(path.join(dataDir, NEXT_MASTER_KEY_FILE));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readNextMasterKey(dataDir)?.equals(next)).toBe(true);
    });

    it('is absent when no rotation is under way', () => {
      expect(readNextMasterKey(dataDir)).toBeUndefined();
    });

    it('replaces the master key file when promoted', () => {
      const current = load().key;
      const next = randomBytes(32);
      writeNextMasterKey(dataDir, next);
      promoteNextMasterKey(dataDir);
      expect(readNextMasterKey(dataDir)).toBeUndefined();
      const loaded = load();
      expect(loaded.key.equals(next)).toBe(true);
      expect(loaded.key.equals(current)).toBe(false);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    });

    it('leaves the master key file alone when discarded', () => {
      const current = load().key;
      const before = readFileSync(keyFile);
      writeNextMasterKey(dataDir, randomBytes(32));
      discardNextMasterKey(dataDir);
      expect(readNextMasterKey(dataDir)).toBeUndefined();
      expect(readFileSync(keyFile).equals(before)).toBe(true);
      expect(load().key.equals(current)).toBe(true);
      expect(() => discardNextMasterKey(dataDir)).not.toThrow();
    });

    it('is refused when others can read it', () => {
      writeNextMasterKey(dataDir, randomBytes(32));
      chmodSync(path.join(dataDir, NEXT_MASTER_KEY_FILE), 0o640);
      expect(() => readNextMasterKey(dataDir)).toThrow(/chmod 600/);
    });
  });
});
