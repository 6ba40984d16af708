import { describe, expect, it } from 'vitest';
import { assertValidKey, assertValidPrefix, isValidPrefix, MAX_KEY_LENGTH } from './file-store.js';

describe('file store keys', () => {
  it.each([
    'accounts/0f8fad5b-d9cb-469f-a165-70867728950e/attachments/7c9e6679-7425-40de-944b-e07fc1f90ae7',
    'a',
    'exports/2026-01-31.tar.gz',
    'a_b/c-d/e.f',
  ])('accepts %s', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });

  it('accepts a key of the longest length, with segments of the longest length', () => {
    expect(() => assertValidKey(`${'a'.repeat(255)}/${'b'.repeat(MAX_KEY_LENGTH - 256)}`)).not.toThrow();
  });

  it.each([
    ['', 'it is empty'],
    ['/accounts/x', 'it starts with "/"'],
    ['accounts//x', 'it has an empty segment'],
    ['accounts/x/', 'it has an empty segment'],
    ['../x', 'it has a "." or ".." segment'],
    ['accounts/./x', 'it has a "." or ".." segment'],
    ['accounts/.x', 'each segment starting with a letter or digit'],
    ['Accounts/x', 'use only a-z, 0-9'],
    ['accounts/ä', 'use only a-z, 0-9'],
    ['accounts\\x', 'use only a-z, 0-9'],
  ])('refuses %j, saying why', (key, reason) => {
    expect(() => assertValidKey(key)).toThrow(reason);
    expect(() => assertValidKey(key)).toThrow('Invalid file store key');
  });

  it('refuses a key that is too long, and one with a segment too long', () => {
    expect(() => assertValidKey('a'.repeat(MAX_KEY_LENGTH + 1))).toThrow(`longer than ${MAX_KEY_LENGTH} characters`);
    expect(() => assertValidKey(`a/${'b'.repeat(256)}`)).toThrow('a segment is longer than 255 characters');
  });

  it('takes as a prefix only a key followed by "/", so that accounts/a1/ never reaches accounts/a10/', () => {
    expect(() => assertValidPrefix('accounts/a1/')).not.toThrow();
    expect(() => assertValidPrefix('accounts/a1')).toThrow('a prefix ends with "/"');
    expect(() => assertValidPrefix('/')).toThrow('it is empty');
    expect(isValidPrefix('eu/chat/')).toBe(true);
    expect(isValidPrefix('eu/chat')).toBe(false);
    expect(isValidPrefix('')).toBe(false);
  });

  it('shortens a very long key in the error message', () => {
    expect(() => assertValidKey('x'.repeat(10_000))).toThrow(/"x{77}…"/);
  });
});
