import { createHash } from 'node:crypto';
import {
  type ArtifactKind,
  type ArtifactName,
  BackupDamagedError,
  BackupFormatError,
  BackupTruncatedError,
} from './errors.js';

/**
 * The plaintext header of a backup artifact, format version 1 (offsets in bytes, integers big-endian):
 *   0..14    magic "PLAUDER-BACKUP\n"
 *   15       format version (1)
 *   16       kind: 1 data, 2 keyring
 *   17..20   chunk size: bytes of compressed stream per chunk (u32)
 *   21..28   creation time, UTC epoch milliseconds (u64)
 *   29..44   id of the master key the backup key comes from (16 bytes, the UUID of `masterKeyId`)
 *   45..76   salt (32 random bytes)
 *   77..108  key check: HKDF-SHA256(backup key, salt, "plauder backup key check"), 32 bytes
 *   109      length L of the artifact id, 1..128
 *   110..    artifact id (L bytes of ASCII)
 *   then     checksum: the first 16 bytes of SHA-256 over all header bytes before it
 * The checksum only tells random damage apart from a wrong key; what protects the header against
 * deliberate change is that every chunk authenticates a hash of it.
 */
export const ARTIFACT_MAGIC = Buffer.from('PLAUDER-BACKUP\n', 'latin1');
/** The format version this module writes and reads. */
export const ARTIFACT_FORMAT_VERSION = 1;

const VERSION_OFFSET = ARTIFACT_MAGIC.length;
const KIND_OFFSET = VERSION_OFFSET + 1;
const CHUNK_BYTES_OFFSET = KIND_OFFSET + 1;
const CREATED_AT_OFFSET = CHUNK_BYTES_OFFSET + 4;
const MASTER_KEY_ID_OFFSET = CREATED_AT_OFFSET + 8;
const SALT_OFFSET = MASTER_KEY_ID_OFFSET + 16;
const KEY_CHECK_OFFSET = SALT_OFFSET + 32;
const ID_LENGTH_OFFSET = KEY_CHECK_OFFSET + 32;
/** Bytes of the header before the artifact id: enough to learn how long the whole header is. */
export const HEADER_FIXED_BYTES = ID_LENGTH_OFFSET + 1;
const CHECKSUM_BYTES = 16;
const MAX_ID_BYTES = 128;
/** The most bytes a header can have: reading this many from the start is enough for `readArtifactHeader`. */
export const MAX_HEADER_BYTES = HEADER_FIXED_BYTES + MAX_ID_BYTES + CHECKSUM_BYTES;

/** Salt bytes in the header. */
export const SALT_BYTES = 32;
/** The largest chunk a reader accepts, which bounds the memory it needs per chunk: 16 MiB. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/** A letter or digit, then letters, digits and `_ . : -`: an id fits a file name, an object key and a terminal. */
const ARTIFACT_ID = /^[A-Za-z0-9][\w.:-]{0,127}$/;

const KIND_CODES: Record<ArtifactKind, number> = { data: 1, keyring: 2 };
const KINDS_BY_CODE = new Map<number | undefined, ArtifactKind>([
  [1, 'data'],
  [2, 'keyring'],
]);

/** What the header of an artifact says; it can be read without the key. */
export interface SealedArtifactHeader extends ArtifactName {
  readonly formatVersion: number;
  /** When the artifact was written, UTC epoch milliseconds. */
  readonly createdAt: number;
  /** The id of the master key the artifact was made with (see `masterKeyId`). */
  readonly masterKeyId: string;
  readonly chunkBytes: number;
  /** Length of the header: the first chunk starts at this offset. */
  readonly headerBytes: number;
}

/** A parsed header with what opening the artifact needs besides. */
export interface ParsedHeader {
  readonly header: SealedArtifactHeader;
  readonly salt: Buffer;
  readonly keyCheck: Buffer;
  /** The header's bytes, which every chunk authenticates. */
  readonly bytes: Buffer;
}

/** Throws a RangeError unless `id` can name an artifact. */
export function checkArtifactId(id: string): void {
  if (!ARTIFACT_ID.test(id)) {
    throw new RangeError(
      `A backup artifact id is 1 to 128 letters, digits or "_.:-", beginning with a letter or digit (got ${JSON.stringify(id)})`,
    );
  }
}

function uuidBytes(uuid: string): Buffer {
  const bytes = Buffer.from(uuid.replaceAll('-', ''), 'hex');
  if (bytes.length !== 16 || uuid.length !== 36) throw new RangeError(`${uuid} is not a master key id`);
  return bytes;
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checksum(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, CHECKSUM_BYTES);
}

/** The header bytes for a new artifact. */
export function encodeHeader(fields: {
  kind: ArtifactKind;
  id: string;
  createdAt: number;
  masterKeyId: string;
  chunkBytes: number;
  salt: Buffer;
  keyCheck: Buffer;
}): Buffer {
  const idBytes = Buffer.from(fields.id, 'latin1');
  const header = Buffer.alloc(HEADER_FIXED_BYTES + idBytes.length + CHECKSUM_BYTES);
  ARTIFACT_MAGIC.copy(header, 0);
  header[VERSION_OFFSET] = ARTIFACT_FORMAT_VERSION;
  header[KIND_OFFSET] = KIND_CODES[fields.kind];
  header.writeUInt32BE(fields.chunkBytes, CHUNK_BYTES_OFFSET);
  header.writeBigUInt64BE(BigInt(fields.createdAt), CREATED_AT_OFFSET);
  uuidBytes(fields.masterKeyId).copy(header, MASTER_KEY_ID_OFFSET);
  fields.salt.copy(header, SALT_OFFSET);
  fields.keyCheck.copy(header, KEY_CHECK_OFFSET);
  header[ID_LENGTH_OFFSET] = idBytes.length;
  idBytes.copy(header, HEADER_FIXED_BYTES);
  const body = header.subarray(0, HEADER_FIXED_BYTES + idBytes.length);
  checksum(body).copy(header, body.length);
  return header;
}

/**
 * How long the header that `start` begins is, from its first HEADER_FIXED_BYTES bytes (or fewer, at
 * the end of the artifact). Throws when `start` is not the beginning of a version 1 artifact.
 */
export function headerLength(start: Buffer): number {
  const magic = start.subarray(0, ARTIFACT_MAGIC.length);
  if (!magic.equals(ARTIFACT_MAGIC.subarray(0, magic.length))) {
    throw new BackupFormatError('This is not a Plauder backup artifact: it does not begin with "PLAUDER-BACKUP".');
  }
  const version = start[VERSION_OFFSET];
  if (version !== undefined && version !== ARTIFACT_FORMAT_VERSION) {
    throw new BackupFormatError(
      `This backup artifact has format version ${version}, which this version of Plauder cannot read (it reads version ${ARTIFACT_FORMAT_VERSION}). Restore it with the Plauder version that made it, or a newer one.`,
    );
  }
  if (start.length < HEADER_FIXED_BYTES) throw new BackupTruncatedError(undefined, start.length, 'inside its header');
  const idLength = start[ID_LENGTH_OFFSET] ?? 0;
  if (idLength < 1 || idLength > MAX_ID_BYTES) {
    throw new BackupDamagedError(undefined, { byteOffset: ID_LENGTH_OFFSET }, 'its header is not intact');
  }
  return HEADER_FIXED_BYTES + idLength + CHECKSUM_BYTES;
}

/** Parses the header at the start of `bytes`, which may go on past it; throws a BackupArtifactError. */
export function parseHeader(bytes: Buffer): ParsedHeader {
  const headerBytes = headerLength(bytes);
  if (bytes.length < headerBytes) throw new BackupTruncatedError(undefined, bytes.length, 'inside its header');
  const header = bytes.subarray(0, headerBytes);
  const body = header.subarray(0, headerBytes - CHECKSUM_BYTES);
  if (!checksum(body).equals(header.subarray(body.length))) {
    throw new BackupDamagedError(undefined, { byteOffset: 0 }, 'its header is not intact (checksum mismatch)');
  }
  // From here the header is as written (or deliberately forged, which the chunks will reveal).
  const id = body.toString('latin1', HEADER_FIXED_BYTES);
  if (!ARTIFACT_ID.test(id)) {
    throw new BackupFormatError(`This backup artifact has an id that Plauder never writes: ${JSON.stringify(id)}.`);
  }
  const kind = KINDS_BY_CODE.get(header[KIND_OFFSET]);
  if (!kind) {
    throw new BackupFormatError(
      `Backup artifact ${id} is of a kind this version of Plauder does not know (${header[KIND_OFFSET]}); restore it with a newer Plauder.`,
    );
  }
  const chunkBytes = header.readUInt32BE(CHUNK_BYTES_OFFSET);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new BackupFormatError(
      `Backup artifact ${id} (${kind}) has chunks of ${chunkBytes} bytes; this version of Plauder reads chunks of 1 to ${MAX_CHUNK_BYTES} bytes.`,
    );
  }
  return {
    header: {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind,
      id,
      createdAt: Number(header.readBigUInt64BE(CREATED_AT_OFFSET)),
      masterKeyId: bytesToUuid(header.subarray(MASTER_KEY_ID_OFFSET, SALT_OFFSET)),
      chunkBytes,
      headerBytes,
    },
    salt: header.subarray(SALT_OFFSET, KEY_CHECK_OFFSET),
    keyCheck: header.subarray(KEY_CHECK_OFFSET, ID_LENGTH_OFFSET),
    bytes: header,
  };
}

/**
 * Reads what the header at the start of `bytes` says, without a key (for listing backups). The first
 * MAX_HEADER_BYTES bytes of an artifact are always enough. Throws a BackupArtifactError.
 */
export function readArtifactHeader(bytes: Buffer): SealedArtifactHeader {
  return parseHeader(bytes).header;
}
