import type { AttachmentContentType } from '@plauder/protocol';
import { AppError } from '../errors.js';

/** A binary format recognised by its leading bytes. */
interface Signature {
  type: Exclude<AttachmentContentType, 'text/plain'>;
  /** The shortest file that can hold the signature and the header it announces, in bytes. */
  minBytes: number;
  matches: (data: Buffer) => boolean;
}

const ascii = (data: Buffer, offset: number, text: string): boolean =>
  data.subarray(offset, offset + text.length).equals(Buffer.from(text, 'latin1'));

// Each signature also asks for the first header after the magic number, so a file cut off right after
// it (or a magic number pasted in front of something else) is not taken for the format.
const signatures: readonly Signature[] = [
  {
    type: 'image/png',
    // 8-byte signature, then the IHDR chunk: length (4), "IHDR" (4), 13 bytes of data, CRC (4).
    minBytes: 33,
    matches: (data) =>
      data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) &&
      data.readUInt32BE(8) === 13 &&
      ascii(data, 12, 'IHDR'),
  },
  {
    type: 'image/jpeg',
    // Start of image (FF D8) followed by the first segment's marker (FF xx).
    minBytes: 4,
    matches: (data) => data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff,
  },
  {
    type: 'image/gif',
    // "GIF87a" or "GIF89a", then the 7-byte logical screen descriptor.
    minBytes: 13,
    matches: (data) => ascii(data, 0, 'GIF87a') || ascii(data, 0, 'GIF89a'),
  },
  {
    type: 'image/webp',
    // RIFF container (4 + 4 bytes of length) of type WEBP, then its first chunk: VP8, VP8L or VP8X.
    minBytes: 16,
    matches: (data) =>
      ascii(data, 0, 'RIFF') &&
      ascii(data, 8, 'WEBP') &&
      (ascii(data, 12, 'VP8 ') || ascii(data, 12, 'VP8L') || ascii(data, 12, 'VP8X')),
  },
  {
    type: 'application/pdf',
    // "%PDF-" and a version such as "1.7".
    minBytes: 8,
    matches: (data) => ascii(data, 0, '%PDF-'),
  },
];

// Decoded piece by piece so that a large text file never becomes one huge string, in bytes.
const TEXT_CHUNK_BYTES = 64 * 1024;

/**
 * Plain text: valid UTF-8 (a byte order mark is allowed) without NUL or other C0 control characters
 * besides tab, line feed and carriage return, and without DEL or C1 controls. Control bytes are checked on the bytes: in UTF-8 every
 * byte below 0x20 stands for itself, never for a part of a longer character.
 */
function isPlainText(data: Buffer): boolean {
  // An index loop: for…of over a Buffer is about eight times slower, which counts at 100 MiB.
  for (let i = 0; i < data.length; i++) {
    // i is within bounds, so the fallback (a space, which passes) only satisfies the type checker.
    const byte = data[i] ?? 0x20;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
    if (byte === 0x7f) return false;
    // C1 controls (U+0080–U+009F) are 0xC2 followed by 0x80–0x9F.
    if (byte === 0xc2 && (data[i + 1] ?? 0) >= 0x80 && (data[i + 1] ?? 0) <= 0x9f) return false;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for (let offset = 0; offset < data.length; offset += TEXT_CHUNK_BYTES) {
      decoder.decode(data.subarray(offset, offset + TEXT_CHUNK_BYTES), { stream: true });
    }
    // The final call throws when the file ends inside a character.
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

/**
 * The type of a file, decided from its bytes alone: PNG, JPEG, GIF, WebP and PDF by their signatures,
 * plain text by its encoding. Throws `validation_failed` for an empty file and
 * `unsupported_file_type` for anything else, whatever its name says.
 */
export function sniffContentType(data: Buffer): AttachmentContentType {
  if (data.length === 0) throw new AppError('validation_failed', 'The file is empty; send a file with content');
  for (const signature of signatures) {
    if (data.length >= signature.minBytes && signature.matches(data)) return signature.type;
  }
  if (isPlainText(data)) return 'text/plain';
  throw new AppError(
    'unsupported_file_type',
    'This kind of file cannot be sent; send an image (PNG, JPEG, GIF, WebP), a PDF or a plain UTF-8 text file',
  );
}
