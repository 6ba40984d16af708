/** The two kinds of backup artifact: the database's rows, and the keyring kept apart from them. */
export type ArtifactKind = 'data' | 'keyring';

/** Which artifact an error concerns, once its header could be read. */
export interface ArtifactName {
  readonly kind: ArtifactKind;
  readonly id: string;
}

const ADVICE = 'Restore from another copy of this backup, or from another backup.';

function named(artifact: ArtifactName | undefined): string {
  return artifact ? `Backup artifact ${artifact.id} (${artifact.kind})` : 'The backup artifact';
}

/** Any error of reading a backup artifact; `code` is stable, the message is meant for an operator. */
export abstract class BackupArtifactError extends Error {
  abstract readonly code: string;
}

/** The bytes are not a backup artifact, or one of a format version or kind this version cannot read. */
export class BackupFormatError extends BackupArtifactError {
  readonly code = 'backup_format';
  constructor(message: string) {
    super(message);
    this.name = 'BackupFormatError';
  }
}

/** The artifact was made with another master key than the one given. */
export class BackupKeyError extends BackupArtifactError {
  readonly code = 'backup_wrong_key';
  constructor(
    readonly artifact: ArtifactName,
    readonly neededKeyId: string,
    readonly givenKeyId: string,
  ) {
    super(
      `${named(artifact)} was made with the master key ${neededKeyId}, not with the configured master key ${givenKeyId}. A backup opens only with the master key it was made with (after \`plauder keys rotate\`, backups made before need the previous key): set PLAUDER_MASTER_KEY to the key ${neededKeyId}.`,
    );
    this.name = 'BackupKeyError';
  }
}

/** The artifact is a sound one, but not the one asked for: another kind, or another id. */
export class BackupMismatchError extends BackupArtifactError {
  readonly code = 'backup_mismatch';
  constructor(
    readonly expected: { readonly kind: ArtifactKind; readonly id?: string },
    readonly found: ArtifactName,
  ) {
    const wanted =
      expected.id === undefined ? `a ${expected.kind} artifact` : `${expected.kind} artifact ${expected.id}`;
    super(`Expected backup ${wanted}, but this is backup artifact ${found.id} (${found.kind}).`);
    this.name = 'BackupMismatchError';
  }
}

/**
 * Bytes of the artifact were changed after it was written: a storage or transfer fault, or tampering.
 * `byteOffset` counts from the artifact's first byte; `chunkIndex` counts chunks from 0 (undefined in the header).
 */
export class BackupDamagedError extends BackupArtifactError {
  readonly code = 'backup_damaged';
  constructor(
    readonly artifact: ArtifactName | undefined,
    readonly where: { readonly byteOffset: number; readonly chunkIndex?: number },
    what: string,
  ) {
    super(`${named(artifact)} is damaged: ${what}. ${ADVICE}`);
    this.name = 'BackupDamagedError';
  }
}

/** The artifact ends before its final chunk: an interrupted write, upload or copy. */
export class BackupTruncatedError extends BackupArtifactError {
  readonly code = 'backup_truncated';
  constructor(
    readonly artifact: ArtifactName | undefined,
    /** How many bytes the artifact has. */
    readonly byteLength: number,
    where: string,
  ) {
    super(`${named(artifact)} is incomplete: it ends after ${byteLength} bytes, ${where}. ${ADVICE}`);
    this.name = 'BackupTruncatedError';
  }
}
