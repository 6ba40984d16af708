import { describe, expect, it } from 'vitest';
import { sniffContentType } from './sniff-content-type.js';

const bytes = (...parts: (number[] | string)[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

// The smallest real headers of each format, followed by some payload.
const PNG = bytes(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0, 0, 0, 13],
  'IHDR',
  [0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0],
  [0x1f, 0x15, 0xc4, 0x89],
  [0, 0, 0, 0],
  'IEND',
);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF', [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const GIF = bytes('GIF89a', [1, 0, 1, 0, 0x80, 0, 0], [0, 0, 0, 0xff, 0xff, 0xff], ';');
const WEBP = bytes('RIFF', [26, 0, 0, 0], 'WEBP', 'VP8L', [13, 0, 0, 0, 0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11]);
const PDF = bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
// A Windows executable's DOS header ("MZ", then binary fields) and a ZIP archive's local file header.
const EXE = bytes('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0], 'This program cannot be run in DOS mode');
const ZIP = bytes('PK', [3, 4, 20, 0, 0, 0, 8, 0], 'hello.txt', [0, 0, 0, 0]);

describe('sniffContentType', () => {
  it.each([
    ['image/png', PNG],
    ['image/jpeg', JPEG],
    ['image/gif', GIF],
    ['image/webp', WEBP],
    ['application/pdf', PDF],
  ])('recognises %s by its signature', (type, data) => {
    expect(sniffContentType(data)).toBe(type);
  });

  it('takes UTF-8 text with tabs, line breaks, a byte order mark and characters beyond ASCII as plain text', () => {
    expect(sniffContentType(Buffer.from('Hello\tworld\r\nGrüße 👋\n', 'utf8'))).toBe('text/plain');
    expect(sniffContentType(Buffer.from('\ufeffWith a byte order mark', 'utf8'))).toBe('text/plain');
  });

  it('judges text that looks like markup as plain text, which is how it is then served', () => {
    expect(sniffContentType(Buffer.from('<svg onload="alert(1)"></svg>', 'utf8'))).toBe('text/plain');
  });

  it('takes plain text longer than one decoding chunk, with a character split across chunks', () => {
    const text = `${'a'.repeat(64 * 1024 - 1)}€ and more`;
    expect(sniffContentType(Buffer.from(text, 'utf8'))).toBe('text/plain');
  });

  it.each([
    ['an executable', EXE],
    ['a ZIP archive', ZIP],
  ])('refuses %s whatever it is called', (_what, data) => {
    expect(() => sniffContentType(data)).toThrow(expect.objectContaining({ code: 'unsupported_file_type' }));
  });

  it('refuses a PNG signature without the header that must follow it', () => {
    expect(() => sniffContentType(PNG.subarray(0, 8))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
    expect(() => sniffContentType(PNG.subarray(0, 4))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
  });

  it('refuses UTF-16 text, with or without a byte order mark', () => {
    expect(() => sniffContentType(Buffer.from('\ufeffHello', 'utf16le'))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
    expect(() => sniffContentType(Buffer.from('Hello', 'utf16le'))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
  });

  it.each([
    ['a NUL byte', 'before\u0000after'],
    ['an escape character', 'colour \u001b[31mred'],
    ['a form feed', 'page one\fpage two'],
  ])('refuses text with %s', (_what, text) => {
    expect(() => sniffContentType(Buffer.from(text, 'utf8'))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
  });

  it('refuses bytes that are not valid UTF-8, also when the file ends inside a character', () => {
    expect(() => sniffContentType(bytes('caf', [0xe9]))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
    expect(() => sniffContentType(Buffer.from('€', 'utf8').subarray(0, 2))).toThrow(
      expect.objectContaining({ code: 'unsupported_file_type' }),
    );
  });

  it('refuses text with DEL or a C1 control character, but takes the letters next to them', () => {
    for (const text of ['bell\u007f', 'next line\u0085', 'csi\u009b[31m']) {
      expect(() => sniffContentType(Buffer.from(text, 'utf8')), JSON.stringify(text)).toThrow(
        expect.objectContaining({ code: 'unsupported_file_type' }),
      );
    }
    expect(sniffContentType(Buffer.from('¡Olé! \u00a0ÿ', 'utf8'))).toBe('text/plain');
  });

  it('refuses an empty file as invalid input', () => {
    expect(() => sniffContentType(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
