import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';

/**
 * The plaintext inside a backup artifact: a sequence of frames, each a type byte, a 4-byte big-endian
 * length and its payload. JSON frames describe; row frames hold a batch of table rows as V8's
 * serialization of arrays (strings, numbers, Buffers and nulls, the only values our tables hold);
 * byte frames hold a file's content in pieces.
 *
 *   H  header (JSON)      the artifact's kind, id, time, dialect and schema version
 *   T  table (JSON)       `{ table, columns }`: the rows that follow are this table's
 *   R  rows (V8)          an array of rows, each an array of values in the order of `columns`
 *   F  file (JSON)        `{ key, size }`: the byte frames that follow are this file's content
 *   B  bytes              a piece of the current file
 *   M  manifest (JSON)    what the artifact holds, counted as written: the last frame before the end
 *   Z  end                nothing follows
 */
export type FrameType = 'H' | 'T' | 'R' | 'F' | 'B' | 'M' | 'Z';

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

/** The largest payload of one frame: a batch of rows or a file's piece is cut below it. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const TYPES = new Set<string>(['H', 'T', 'R', 'F', 'B', 'M', 'Z']);

/** One frame as bytes. */
export function frame(type: FrameType, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_FRAME_BYTES) throw new Error(`A ${type} frame of ${payload.length} bytes is too long`);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** A frame whose payload is `value` as JSON. */
export function jsonFrame(type: 'H' | 'T' | 'F' | 'M', value: unknown): Buffer {
  return frame(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

/** A row frame: the rows as V8 serializes them. */
export function rowsFrame(rows: readonly (readonly unknown[])[]): Buffer {
  return frame('R', serialize(rows));
}

/** The rows of a row frame. */
export function rowsOf(payload: Buffer): unknown[][] {
  const rows: unknown = deserialize(payload);
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
    throw new BackupContentError('A row frame holds something other than rows');
  }
  return rows as unknown[][];
}

/** The JSON of a frame's payload. */
export function jsonOf<T>(payload: Buffer): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    throw new BackupContentError('A frame that should hold JSON does not');
  }
}

/**
 * Raised for content that authenticated but is not what a backup of ours holds: written by another
 * version, or by a program other than ours. Decryption already proved it was not altered on the way.
 */
export class BackupContentError extends Error {
  constructor(message: string) {
    super(`The backup's content is not readable: ${message}`);
    this.name = 'BackupContentError';
  }
}

/** Cuts a byte stream into its frames. Throws when it ends inside one or holds an unknown type. */
export async function* readFrames(source: AsyncIterable<Buffer>): AsyncIterable<Frame> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (count: number): Buffer => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    return taken;
  };
  let need: { type: FrameType; length: number } | undefined;
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    for (;;) {
      if (!need) {
        if (pendingBytes < 5) break;
        const head = take(5);
        const type = head.toString('latin1', 0, 1);
        if (!TYPES.has(type)) throw new BackupContentError(`unknown frame type ${JSON.stringify(type)}`);
        const length = head.readUInt32BE(1);
        if (length > MAX_FRAME_BYTES) throw new BackupContentError(`a frame of ${length} bytes`);
        need = { type: type as FrameType, length };
      }
      if (pendingBytes < need.length) break;
      // A copy: the frame outlives the buffers it was cut from.
      const payload = Buffer.from(take(need.length));
      yield { type: need.type, payload };
      need = undefined;
    }
  }
  if (need || pendingBytes > 0) throw new BackupContentError('it ends inside a frame');
}

/**
 * A checksum of a table's rows that does not depend on their order (databases return them in the
 * order of their own collations): the sum, modulo 2^64, of the first 8 bytes of each row's SHA-256.
 * Rows hash alike whichever database they were read from.
 */
export class RowChecksum {
  private sum = 0n;
  count = 0;

  add(row: readonly unknown[]): void {
    // The values' types and lengths in one string, the byte arrays after it: one hash update each.
    let text = '';
    let bytes: Uint8Array[] | undefined;
    for (const value of row) {
      if (value === null || value === undefined) text += 'n;';
      else if (typeof value === 'number') text += `i${value};`;
      else if (typeof value === 'string') text += `s${value.length}:${value}`;
      else if (value instanceof Uint8Array) {
        text += `b${value.length}:`;
        (bytes ??= []).push(value);
      } else throw new Error(`A table value of type ${typeof value} cannot be checksummed`);
    }
    const hash = createHash('sha256').update(text);
    for (const value of bytes ?? []) hash.update(value);
    this.sum = (this.sum + hash.digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.count += 1;
  }

  /** The checksum as 16 hex digits. */
  get value(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

/** The checksum of two sets of rows together: RowChecksum is a sum, so the parts add up to the whole. */
export function addChecksums(a: string, b: string): string {
  return ((BigInt(`0x${a}`) + BigInt(`0x${b}`)) & 0xffffffffffffffffn).toString(16).padStart(16, '0');
}

/** The checksum of the rows of `a` without those of `b` (a part of them). */
export function subtractChecksums(a: string, b: string): string {
  return ((BigInt(`0x${a}`) - BigInt(`0x${b}`)) & 0xffffffffffffffffn).toString(16).padStart(16, '0');
}
