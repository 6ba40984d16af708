import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { backupKey, type BackupKey } from '../backup/artifact.js';
import { LRUCache } from 'lru-cache';
import * as repo from '../storage/keyring-repository.js';
import type { Executor, KeyKind, KeyringRow } from '../storage/schema.js';
import { KeyDestroyedError, MasterKeyMismatchError } from './errors.js';
import { masterKeyId } from './master-key.js';
import { open, seal, type DataKey } from './seal.js';

/** How long an unwrapped key may stay cached, in milliseconds. */
const KEY_CACHE_TTL_MS = 5 * 60 * 1000;

/** The subject of the installation-wide key whose HMAC indexes operator emails for login. */
const INSTALLATION_INDEX_SUBJECT = 'operator-email-index';
/** The subject of the installation-wide key that signs visitor tokens (any node can check them). */
const VISITOR_TOKEN_SUBJECT = 'visitor-token-signing';
/** Every installation-wide key, created on the first start. */
const INSTALLATION_SUBJECTS = [INSTALLATION_INDEX_SUBJECT, VISITOR_TOKEN_SUBJECT];

/** A data subject that has its own key: an account, or an operator, contact or conversation in one. */
export interface KeySubject {
  readonly accountId: string;
  readonly kind: Exclude<KeyKind, 'installation' | 'account'>;
  readonly subjectId: string;
}

/**
 * The keyring: master key → account keys → one key per operator, contact and conversation, each stored
 * wrapped (AES-256-GCM) by its parent. Unwrapped keys are kept in a bounded LRU cache.
 */
export class Keyring {
  private masterKey: DataKey;
  /** Unwrapped keys by key id: at most `cacheSize` keys. */
  private readonly keys: LRUCache<string, DataKey>;
  /** Key ids by subject name (account, kind, subject), so subject lookups skip the database. */
  private readonly names: LRUCache<string, string>;

  constructor(options: { masterKey: Buffer; cacheSize: number }) {
    this.masterKey = { id: masterKeyId(options.masterKey), key: options.masterKey };
    // The TTL bounds how long a key destroyed by another process stays usable here.
    this.keys = new LRUCache({ max: options.cacheSize, ttl: KEY_CACHE_TTL_MS });
    this.names = new LRUCache({ max: options.cacheSize, ttl: KEY_CACHE_TTL_MS });
  }

  /** The id of the master key in use. */
  get masterKeyId(): string {
    return this.masterKey.id;
  }

  /** The key backups are sealed with: derived from the master key, which stays in here. */
  backupKey(): BackupKey {
    return backupKey(this.masterKey.key);
  }

  /**
   * Checks that the master key is the one the keyring is wrapped with, and creates the installation
   * index key on a new installation. Throws MasterKeyMismatchError, changing nothing, on a wrong key.
   */
  async verifyMasterKey(db: Executor, now: number): Promise<void> {
    const inUse = await repo.masterKeyIdsInUse(db);
    const foreign = inUse.find((id) => id !== this.masterKey.id);
    if (foreign) throw new MasterKeyMismatchError(this.masterKey.id, foreign);
    for (const subjectId of INSTALLATION_SUBJECTS) {
      if (await repo.findSubjectKey(db, { kind: 'installation', subjectId })) continue;
      await this.createKey(db, { accountId: null, kind: 'installation', subjectId, parent: this.masterKey, now });
    }
  }

  /** Creates the key of a new account, wrapped by the master key. */
  async createAccountKey(db: Executor, options: { accountId: string; now: number }): Promise<DataKey> {
    return this.createKey(db, {
      accountId: options.accountId,
      kind: 'account',
      subjectId: options.accountId,
      parent: this.masterKey,
      now: options.now,
    });
  }

  /** Creates the key of a new operator, contact or conversation, wrapped by its account's key. */
  async createSubjectKey(db: Executor, subject: KeySubject & { now: number }): Promise<DataKey> {
    const parent = await this.accountKey(db, subject.accountId);
    return this.createKey(db, { ...subject, parent });
  }

  /** The key of a subject; throws KeyDestroyedError once it was erased. */
  async subjectKey(db: Executor, subject: KeySubject): Promise<DataKey> {
    return this.keyOf(db, subject.kind, subject.subjectId, subject.accountId);
  }

  /** The key of an account; throws KeyDestroyedError once the account was erased. */
  accountKey(db: Executor, accountId: string): Promise<DataKey> {
    return this.keyOf(db, 'account', accountId, accountId);
  }

  /** A key by its id, as named in a sealed value's header. */
  async keyById(db: Executor, keyId: string): Promise<DataKey> {
    const cached = this.keys.get(keyId);
    if (cached) return cached;
    const row = await repo.findKeyById(db, keyId);
    if (!row) throw new KeyDestroyedError(keyId);
    return this.unwrap(db, row);
  }

  /** The HMAC key of the installation-wide blind index of operator emails (login lookup). */
  async operatorEmailIndexKey(db: Executor): Promise<Buffer> {
    return (await this.keyOf(db, 'installation', INSTALLATION_INDEX_SUBJECT, null)).key;
  }

  /** The HMAC key that signs and checks visitor tokens. */
  async visitorTokenKey(db: Executor): Promise<Buffer> {
    return (await this.keyOf(db, 'installation', VISITOR_TOKEN_SUBJECT, null)).key;
  }

  /** The HMAC key of an account's contact email index; erased with the account. (Search derives its own key.) */
  async accountIndexKey(db: Executor, accountId: string): Promise<Buffer> {
    const accountKey = await this.accountKey(db, accountId);
    return Buffer.from(hkdfSync('sha256', accountKey.key, Buffer.alloc(0), 'plauder blind index', 32));
  }

  /** Destroys one subject's key: everything sealed with it becomes unreadable, in backups too. */
  async destroySubjectKey(db: Executor, subject: KeySubject & { now: number }): Promise<string[]> {
    const ids = await repo.destroyKeys(db, subject, subject.now);
    this.forget(ids, [subjectCacheName(subject.kind, subject.subjectId, subject.accountId)]);
    return ids;
  }

  /** Destroys every key of an account, its own included. */
  async destroyAccountKeys(db: Executor, options: { accountId: string; now: number }): Promise<string[]> {
    const ids = await repo.destroyKeys(db, { accountId: options.accountId }, options.now);
    this.forget(ids, [subjectCacheName('account', options.accountId, options.accountId)]);
    return ids;
  }

  /**
   * Rewraps every key wrapped by the current master key under `newMasterKey`. Data is not touched:
   * only account and installation keys change their wrapping. Run it inside a transaction.
   */
  async rotateMasterKey(
    db: Executor,
    newMasterKey: Buffer,
  ): Promise<{ rewrapped: number; oldKeyId: string; newKeyId: string }> {
    const next: DataKey = { id: masterKeyId(newMasterKey), key: newMasterKey };
    const rows = await repo.keysWrappedBy(db, this.masterKey.id);
    for (const row of rows) {
      const raw = this.unwrapWith(this.masterKey, row);
      await repo.rewrapKey(db, { id: row.id, wrappedBy: next.id, wrappedKey: wrap(next, raw, row) });
    }
    return { rewrapped: rows.length, oldKeyId: this.masterKey.id, newKeyId: next.id };
  }

  /** Switches this process to a new master key after a committed rotation. */
  useMasterKey(newMasterKey: Buffer): void {
    this.masterKey = { id: masterKeyId(newMasterKey), key: newMasterKey };
  }

  private async keyOf(db: Executor, kind: KeyKind, subjectId: string, accountId: string | null): Promise<DataKey> {
    const name = subjectCacheName(kind, subjectId, accountId);
    const cachedId = this.names.get(name);
    const cached = cachedId === undefined ? undefined : this.keys.get(cachedId);
    if (cached) return cached;
    const row = await repo.findSubjectKey(db, { kind, subjectId });
    // Tenancy: a key is only ever handed out for the account it belongs to (the cache name carries the
    // account too, so a cached key is never handed to another account either).
    if (!row || row.account_id !== accountId) throw new KeyDestroyedError(`${kind} ${subjectId}`);
    const key = await this.unwrap(db, row);
    this.names.set(name, key.id);
    return key;
  }

  private async unwrap(db: Executor, row: KeyringRow): Promise<DataKey> {
    if (row.wrapped_key === null) throw new KeyDestroyedError(row.id);
    if (row.wrapped_by === this.masterKey.id) return this.remember(row.id, this.unwrapWith(this.masterKey, row));
    if (row.kind === 'installation' || row.kind === 'account') {
      throw new MasterKeyMismatchError(this.masterKey.id, row.wrapped_by);
    }
    const parent = await this.keyById(db, row.wrapped_by);
    return this.remember(row.id, this.unwrapWith(parent, row));
  }

  private unwrapWith(parent: DataKey, row: KeyringRow): Buffer {
    if (row.wrapped_key === null) throw new KeyDestroyedError(row.id);
    return open(parent, row.wrapped_key, wrapContext(row));
  }

  private remember(id: string, raw: Buffer): DataKey {
    const key = { id, key: raw };
    this.keys.set(id, key);
    return key;
  }

  private async createKey(
    db: Executor,
    options: { accountId: string | null; kind: KeyKind; subjectId: string; parent: DataKey; now: number },
  ): Promise<DataKey> {
    const id = randomUUID();
    const raw = randomBytes(32);
    const row = { id, account_id: options.accountId, kind: options.kind, subject_id: options.subjectId };
    await repo.insertKey(db, {
      id,
      accountId: options.accountId,
      kind: options.kind,
      subjectId: options.subjectId,
      wrappedBy: options.parent.id,
      wrappedKey: wrap(options.parent, raw, row),
      now: options.now,
    });
    return { id, key: raw };
  }

  /**
   * Drops keys from the cache. The destroy methods call it; an erasure use case calls it again after
   * its transaction commits, since a concurrent reader may have cached the key from an older snapshot.
   */
  forget(ids: readonly string[], names: readonly string[] = []): void {
    // A name whose key id is gone from `keys` misses, and the next lookup finds the tombstone.
    for (const id of ids) this.keys.delete(id);
    for (const name of names) this.names.delete(name);
  }
}

/** The cache name of a subject's key: bound to the account asking, which must be the key's own. */
function subjectCacheName(kind: KeyKind, subjectId: string, accountId: string | null): string {
  return `${accountId ?? ''}/${kind}:${subjectId}`;
}

type WrapRow = Pick<KeyringRow, 'id' | 'account_id' | 'kind' | 'subject_id'>;

function wrapContext(row: WrapRow) {
  return { accountId: row.account_id ?? '', table: 'keyring', column: `${row.kind}:${row.subject_id}`, rowId: row.id };
}

function wrap(parent: DataKey, raw: Buffer, row: WrapRow): Buffer {
  return seal(parent, raw, wrapContext(row));
}
