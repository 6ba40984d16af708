import { describe, expect, it } from 'vitest';
import { cleanFileName } from './file-name.js';

describe('cleanFileName', () => {
  it('keeps only the last segment of a path, from any platform', () => {
    expect(cleanFileName('/home/ada/Documents/invoice.pdf')).toBe('invoice.pdf');
    expect(cleanFileName('C:\\Users\\Ada\\photo 1.png')).toBe('photo 1.png');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
  });

  it('trims the name and removes control characters and direction overrides', () => {
    expect(cleanFileName('  report.txt \n')).toBe('report.txt');
    expect(cleanFileName('a\u0000b\u001bc.txt')).toBe('abc.txt');
    expect(cleanFileName('invoice\u202egpj.exe')).toBe('invoicegpj.exe');
  });

  it('cuts a long name to 255 characters without splitting a character', () => {
    expect(cleanFileName(`${'x'.repeat(300)}.txt`)).toHaveLength(255);
    const emoji = cleanFileName('😀'.repeat(300));
    expect([...emoji]).toHaveLength(255);
    expect(emoji).toBe('😀'.repeat(255));
  });

  it('keeps to a lower limit when one is given', () => {
    expect(cleanFileName('abcdefghij.txt', { maxChars: 5 })).toBe('abcde');
  });

  it('falls back to "file" when nothing is left', () => {
    expect(cleanFileName('')).toBe('file');
    expect(cleanFileName('   ')).toBe('file');
    expect(cleanFileName('folder/')).toBe('file');
    expect(cleanFileName('..')).toBe('file');
    expect(cleanFileName('\u0001\u0002')).toBe('file');
  });

  it('replaces a lone surrogate, which is no character', () => {
    expect(cleanFileName('a\ud800b.txt')).toBe('a\ufffdb.txt');
  });
});
