/** The key a sealed value names was destroyed (erasure) or never existed here: its data is gone for good. */
export class KeyDestroyedError extends Error {
  readonly code = 'key_destroyed';
  constructor(readonly keyId: string) {
    super(`Key ${keyId} is destroyed or unknown; the data sealed with it cannot be read any more`);
    this.name = 'KeyDestroyedError';
  }
}

/** A sealed value failed authentication: it was changed, moved to another row, or opened with another key. */
export class TamperedError extends Error {
  readonly code = 'tampered';
  constructor(what: string) {
    super(`Sealed value failed authentication (${what}): it was altered or does not belong here`);
    this.name = 'TamperedError';
  }
}

/** The configured master key is not the one the keyring is wrapped with. */
export class MasterKeyMismatchError extends Error {
  readonly code = 'master_key_mismatch';
  constructor(
    readonly configuredKeyId: string,
    readonly expectedKeyId: string,
  ) {
    super(
      `The master key ${configuredKeyId} is not the key this installation's keyring is wrapped with (${expectedKeyId}); nothing was changed. Set PLAUDER_MASTER_KEY to the key ${expectedKeyId}.`,
    );
    this.name = 'MasterKeyMismatchError';
  }
}
