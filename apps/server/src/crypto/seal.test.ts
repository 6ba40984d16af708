import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TamperedError } from './errors.js';
import { blindIndex, open, openText, seal, sealedKeyId, SEAL_VERSION, type DataKey, type SealContext } from './seal.js';

const newKey = (): DataKey => ({ id: randomUUID(), key: randomBytes(32) });

const context: SealContext = {
  accountId: 'a1b2c3d4-0000-4000-8000-000000000001',
  table: 'messages',
  column: 'body_sealed',
  rowId: 'a1b2c3d4-0000-4000-8000-000000000002',
};

// Byte ranges of the version 1 layout, as documented in seal.ts.
const HEADER_END = 17;
const IV_END = 29;
const TAG_END = 45;

describe('seal', () => {
  it('opens what it sealed, as text and as bytes', () => {
    const key = newKey();
    const text = 'Grüße, Ada — see you at 10:00 ✓';
    expect(openText(key, seal(key, text, context), context)).toBe(text);
    const bytes = randomBytes(100);
    expect(open(key, seal(key, bytes, context), context).equals(bytes)).toBe(true);
    expect(openText(key, seal(key, '', context), context)).toBe('');
  });

  it('names the key that sealed a value and the format version in its header', () => {
    const key = newKey();
    const sealed = seal(key, 'hello', context);
    expect(sealed[0]).toBe(SEAL_VERSION);
    expect(sealedKeyId(sealed)).toBe(key.id);
  });

  it('never stores the plaintext in the sealed bytes', () => {
    const key = newKey();
    const text = 'plaintext-marker-that-must-not-appear';
    expect(seal(key, text, context).includes(Buffer.from(text, 'utf8'))).toBe(false);
  });

  it('gives two different sealed values for the same text, with a fresh IV each time', () => {
    const key = newKey();
    const first = seal(key, 'same text', context);
    const second = seal(key, 'same text', context);
    expect(first.equals(second)).toBe(false);
    expect(first.subarray(HEADER_END, IV_END).equals(second.subarray(HEADER_END, IV_END))).toBe(false);
    expect(openText(key, first, context)).toBe(openText(key, second, context));
  });

  it('never gives two seals the same IV, across refills of the pool IVs are cut from', () => {
    const ivs = new Set<string>();
    const key = newKey();
    for (let i = 0; i < 2000; i++)
      ivs.add(seal(key, 'same text', context).subarray(HEADER_END, IV_END).toString('hex'));
    expect(ivs.size).toBe(2000);
  });

  it('refuses a value with any single byte of header, IV, tag or ciphertext flipped', () => {
    const key = newKey();
    const sealed = seal(key, 'a message body of some length', context);
    expect(sealed.length).toBeGreaterThan(TAG_END);
    const regions = new Set<string>();
    for (let i = 0; i < sealed.length; i++) {
      const altered = Buffer.from(sealed);
      altered[i] = (altered[i] ?? 0) ^ 0x01;
      expect(() => open(key, altered, context), `byte ${i}`).toThrow(TamperedError);
      regions.add(i < HEADER_END ? 'header' : i < IV_END ? 'iv' : i < TAG_END ? 'tag' : 'ciphertext');
    }
    expect([...regions].sort()).toEqual(['ciphertext', 'header', 'iv', 'tag']);
  });

  it('refuses a value that was cut short or extended', () => {
    const key = newKey();
    const sealed = seal(key, 'some text', context);
    expect(() => open(key, sealed.subarray(0, sealed.length - 1), context)).toThrow(TamperedError);
    expect(() => open(key, Buffer.concat([sealed, Buffer.from([0])]), context)).toThrow(TamperedError);
    expect(() => open(key, sealed.subarray(0, 20), context)).toThrow(TamperedError);
  });

  it.each([
    ['another row', { rowId: 'a1b2c3d4-0000-4000-8000-000000000003' }],
    ['another column', { column: 'notes_sealed' }],
    ['another table', { table: 'contacts' }],
    ['another account', { accountId: 'a1b2c3d4-0000-4000-8000-000000000004' }],
  ])('refuses a value opened as if it belonged to %s', (_what, change) => {
    const key = newKey();
    const sealed = seal(key, 'copy me elsewhere', context);
    expect(() => open(key, sealed, { ...context, ...change })).toThrow(TamperedError);
    expect(openText(key, sealed, context)).toBe('copy me elsewhere');
  });

  it('refuses a context whose parts were shifted between fields', () => {
    const key = newKey();
    const sealed = seal(key, 'x', { accountId: 'a', table: 'bc', column: 'd', rowId: 'e' });
    expect(() => open(key, sealed, { accountId: 'ab', table: 'c', column: 'd', rowId: 'e' })).toThrow(TamperedError);
  });

  it('refuses to open with another key, whether its id differs or only its bytes', () => {
    const key = newKey();
    const sealed = seal(key, 'secret', context);
    expect(() => open(newKey(), sealed, context)).toThrow(TamperedError);
    expect(() => open({ id: key.id, key: randomBytes(32) }, sealed, context)).toThrow(TamperedError);
  });

  it('refuses an unknown format version', () => {
    const key = newKey();
    const sealed = seal(key, 'secret', context);
    for (const version of [0, 2, 255]) {
      const altered = Buffer.from(sealed);
      altered[0] = version;
      expect(() => open(key, altered, context)).toThrow(TamperedError);
      expect(() => sealedKeyId(altered)).toThrow(/unknown format version/);
    }
  });

  it('opens a sealed value that sits inside a larger buffer', () => {
    const key = newKey();
    const sealed = seal(key, 'inside', context);
    const larger = Buffer.concat([randomBytes(7), sealed, randomBytes(5)]);
    const view = larger.subarray(7, 7 + sealed.length);
    expect(openText(key, view, context)).toBe('inside');
  });
});

describe('blindIndex', () => {
  it('gives the same index for an email in any case and with surrounding whitespace', () => {
    const indexKey = randomBytes(32);
    const index = blindIndex(indexKey, 'ada@example.test');
    expect(blindIndex(indexKey, '  Ada@Example.TEST\n')).toBe(index);
    expect(blindIndex(indexKey, 'ADA@EXAMPLE.TEST')).toBe(index);
  });

  it('gives different indexes for different values and under different keys', () => {
    const indexKey = randomBytes(32);
    const index = blindIndex(indexKey, 'ada@example.test');
    expect(blindIndex(indexKey, 'bob@example.test')).not.toBe(index);
    expect(blindIndex(randomBytes(32), 'ada@example.test')).not.toBe(index);
  });

  it('does not contain the value it indexes', () => {
    // A fixed key: with a random one, 43 random characters hold "ada" about once in 6,000 runs.
    const index = blindIndex(Buffer.alloc(32, 7), 'ada@example.test');
    expect(index).not.toContain('ada');
    expect(index).not.toContain(Buffer.from('ada@example.test').toString('base64url').slice(0, 8));
    expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
