import { randomBytes } from 'node:crypto';
import type { FileStore } from '../adapters/file-store/file-store.js';
import type { BackupKey } from './artifact.js';
import type { ArtifactKind } from './errors.js';
import { openArtifact, sealArtifact } from './artifact.js';
import { appliedMigrations, inReadSnapshot, type Database } from '../storage/database.js';
import { dataFrames, keyringFrames, type ArtifactHeader, type ArtifactManifest } from './export-snapshot.js';
import { restoreIntoScratch, type ScratchRestore } from './restore-into-scratch.js';
import { restoreSnapshot, type RestoreReport } from './restore-snapshot.js';
import { planBackupRotation, planKeyringRotation, type BackupKeepCounts } from './rotation.js';
import { BackupNotFoundError, type BackupTarget } from './targets.js';

/** Where a backup's objects are on its target. */
export const BACKUPS_FOLDER = 'backups';
export const KEYRINGS_FOLDER = 'keyrings';
const dataName = (id: string) => `${BACKUPS_FOLDER}/${id}/data.plbk`;
const infoName = (id: string) => `${BACKUPS_FOLDER}/${id}/backup.json`;
const verificationName = (id: string) => `${BACKUPS_FOLDER}/${id}/verification.json`;
const keyringName = (id: string) => `${KEYRINGS_FOLDER}/${id}.plbk`;

/** Where backup `id`'s artifact of `kind` is on its target. */
export function artifactName(kind: ArtifactKind, id: string): string {
  return kind === 'data' ? dataName(id) : keyringName(id);
}

/**
 * What a backup says of itself in the clear, beside its encrypted artifacts: enough to list it. Counts
 * and sizes only, never content.
 */
export interface BackupInfo {
  id: string;
  createdAt: number;
  dialect: Database['dialect'];
  migrations: string[];
  /** The public id of the master key whose backup key sealed it (restoring needs that master key). */
  masterKeyId: string;
  dataBytes: number;
  keyringBytes: number;
  /** Rows per table, and the attachments' files. */
  rows: Record<string, number>;
  files: { count: number; bytes: number };
}

/** The outcome of restoring a backup into a scratch database. */
export interface BackupVerification {
  id: string;
  at: number;
  ok: boolean;
  /** Which keyring artifact the restore used: the backup's own, or the newest when its own was rotated away. */
  keyringId: string;
  /** What did not come back as backed up; empty when `ok`. */
  problems: string[];
  rows: number;
  /** Rows left out because they were erased after the backup (with the newest keyring only). */
  erasedSince: number;
  durationMs: number;
}

/** A backup as listed: what it says of itself, and how its last verification went, if it had one. */
export interface ListedBackup extends BackupInfo {
  verification: BackupVerification | undefined;
}

/** A new backup's id: its UTC time, sortable, and a random suffix. */
export function newBackupId(now: number): string {
  const time = new Date(now).toISOString().replace(/[:.]/g, '-');
  return `${time}-${randomBytes(3).toString('hex')}`;
}

/** Counts the bytes going through. */
async function* counted(source: AsyncIterable<Buffer>, count: { bytes: number }): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    count.bytes += chunk.length;
    yield chunk;
  }
}

async function readJson<T>(target: BackupTarget, name: string): Promise<T | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of target.read(name)) chunks.push(chunk);
  } catch (error) {
    if (error instanceof BackupNotFoundError) return undefined;
    throw error;
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

async function writeJson(target: BackupTarget, name: string, value: unknown): Promise<void> {
  await target.write(
    name,
    (async function* () {
      yield Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    })(),
  );
}

/** Hears a backup's sealed bytes as they are written: the keyring artifact's, then the data artifact's. */
export interface ArtifactCopy {
  /** The next piece of `artifact`; the backup waits for the promise before it goes on. */
  chunk(artifact: ArtifactKind, bytes: Buffer): Promise<void>;
  /** `artifact` is written whole. */
  end(artifact: ArtifactKind): void;
}

/**
 * Backs the database and the file store up to `target`, from one read snapshot that holds off no
 * writer: the keyring artifact (the keys and the erasure records), then the data artifact (every table
 * but the keyring, and the attachments' files), each compressed and sealed with the backup key
 * (backup/artifact.ts), and the backup's info in the clear. The keyring is never inside the data.
 * `copy` hears the sealed bytes as they go to the target (backupAndVerify restores them as they come).
 */
export async function createBackup(input: {
  database: Database;
  fileStore: FileStore;
  key: BackupKey;
  target: BackupTarget;
  now: number;
  /** The backup's id (newBackupId of `now` when not given). */
  id?: string;
  copy?: ArtifactCopy;
  /** Hears the rows read so far, of how many. */
  progress?: (rows: number, total: number) => void;
}): Promise<BackupInfo> {
  const id = input.id ?? newBackupId(input.now);
  const bytes = { keyring: { bytes: 0 }, data: { bytes: 0 } };
  let manifest: ArtifactManifest | undefined;
  const migrations = await appliedMigrations(input.database);
  const write = async (kind: ArtifactKind, frames: AsyncIterable<Buffer>) => {
    const sealed = counted(sealArtifact(frames, { key: input.key, kind, id, createdAt: input.now }), bytes[kind]);
    await input.target.write(artifactName(kind, id), copied(sealed, kind, input.copy));
  };
  await inReadSnapshot(input.database, async (db) => {
    const header = (kind: ArtifactKind): ArtifactHeader => ({
      format: 1,
      kind,
      id,
      createdAt: input.now,
      dialect: input.database.dialect,
      migrations,
    });
    // The keyring first: a restore reads it before the data, so a copy can be restored as it comes.
    await write('keyring', keyringFrames(db, { header: header('keyring') }));
    await write(
      'data',
      dataFrames(db, {
        header: header('data'),
        fileStore: input.fileStore,
        done: (m) => (manifest = m),
        ...(input.progress ? { progress: input.progress } : {}),
      }),
    );
  });
  const contents = manifest as unknown as ArtifactManifest;
  const info: BackupInfo = {
    id,
    createdAt: input.now,
    dialect: input.database.dialect,
    migrations,
    masterKeyId: input.key.masterKeyId,
    dataBytes: bytes.data.bytes,
    keyringBytes: bytes.keyring.bytes,
    rows: Object.fromEntries(Object.entries(contents.tables).map(([table, count]) => [table, count.rows])),
    files: { count: contents.files.count, bytes: contents.files.bytes },
  };
  await writeJson(input.target, infoName(id), info);
  return info;
}

/** Hands each piece to `copy` on its way through, and says when the last went. */
async function* copied(
  source: AsyncIterable<Buffer>,
  artifact: ArtifactKind,
  copy: ArtifactCopy | undefined,
): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    await copy?.chunk(artifact, chunk);
    yield chunk;
  }
  copy?.end(artifact);
}

/** The backups on `target`, newest first, with their last verification. */
export async function listBackups(target: BackupTarget): Promise<ListedBackup[]> {
  const ids = new Set(
    (await target.list(`${BACKUPS_FOLDER}/`))
      .filter((object) => object.name.endsWith('/backup.json'))
      .map((object) => object.name.split('/')[1] as string),
  );
  const listed: ListedBackup[] = [];
  for (const id of [...ids].sort().reverse()) {
    const info = await readJson<BackupInfo>(target, infoName(id));
    if (!info) continue;
    listed.push({ ...info, verification: await readJson<BackupVerification>(target, verificationName(id)) });
  }
  return listed;
}

/** The ids of the keyring artifacts on `target`, newest first. */
export async function listKeyrings(target: BackupTarget): Promise<string[]> {
  return (await target.list(`${KEYRINGS_FOLDER}/`))
    .map((object) => object.name.slice(KEYRINGS_FOLDER.length + 1).replace(/\.plbk$/, ''))
    .sort()
    .reverse();
}

/** Raised when there is no backup to restore or verify, or no keyring artifact to restore it with. */
export class NoBackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoBackupError';
  }
}

/** The backup `id` of `target` (the newest when none is named), or NoBackupError. */
export async function findBackup(target: BackupTarget, id: string | undefined): Promise<ListedBackup> {
  const backups = await listBackups(target);
  const found = id === undefined ? backups[0] : backups.find((backup) => backup.id === id);
  if (!found) {
    throw new NoBackupError(
      id === undefined
        ? `There is no backup in ${target.describe()}`
        : `There is no backup ${id} in ${target.describe()}; plauder backup list shows them`,
    );
  }
  return found;
}

/**
 * Restores backup `backup` from `target` into `database` (empty) and `fileStore`, with the newest
 * keyring artifact (or `keyringId`): what was erased after the backup stays out (restoreSnapshot).
 */
export async function restoreBackup(input: {
  target: BackupTarget;
  backup: BackupInfo;
  key: BackupKey;
  database: Database;
  fileStore: FileStore;
  now: number;
  keyringId?: string;
  migrate?: boolean;
  progress?: (rows: number) => void;
}): Promise<RestoreReport> {
  const keyringId = input.keyringId ?? (await listKeyrings(input.target))[0];
  if (keyringId === undefined) {
    throw new NoBackupError(
      `There is no keyring artifact in ${input.target.describe()}: without the keys, no backup can be restored`,
    );
  }
  const { target, key, backup } = input;
  return restoreSnapshot(input.database, {
    sources: {
      data: () => openArtifact(target.read(dataName(backup.id)), { key, kind: 'data', id: backup.id }),
      keyring: () => openArtifact(target.read(keyringName(keyringId)), { key, kind: 'keyring', id: keyringId }),
    },
    fileStore: input.fileStore,
    now: input.now,
    ...(input.migrate === undefined ? {} : { migrate: input.migrate }),
    ...(input.progress ? { progress: input.progress } : {}),
  });
}

/**
 * Proves a backup restorable: restores it from `target` into a scratch database (restoreIntoScratch),
 * with its own keyring artifact while there is one, and checks that every table reads back what the
 * backup counted when it was made. Records the outcome beside the backup.
 */
export async function verifyBackup(input: {
  target: BackupTarget;
  backup: BackupInfo;
  key: BackupKey;
  now: number;
  progress?: (rows: number) => void;
}): Promise<BackupVerification> {
  const started = Date.now();
  const { target, key, backup } = input;
  const keyrings = await listKeyrings(target);
  const keyringId = keyrings.includes(backup.id) ? backup.id : keyrings[0];
  const restored: ScratchRestore =
    keyringId === undefined
      ? {
          problems: [
            `There is no keyring artifact in ${target.describe()}: without the keys, no backup can be restored`,
          ],
          rows: 0,
          erasedSince: 0,
        }
      : await restoreIntoScratch({
          sources: {
            data: () => openArtifact(target.read(dataName(backup.id)), { key, kind: 'data', id: backup.id }),
            keyring: () => openArtifact(target.read(keyringName(keyringId)), { key, kind: 'keyring', id: keyringId }),
          },
          createdAt: backup.createdAt,
          ownKeyring: keyringId === backup.id,
          ...(input.progress ? { progress: input.progress } : {}),
        });
  const verification: BackupVerification = {
    id: backup.id,
    at: input.now,
    ok: restored.problems.length === 0,
    keyringId: keyringId ?? '',
    ...restored,
    durationMs: Date.now() - started,
  };
  await recordVerification(target, verification);
  return verification;
}

/** Keeps a verification's outcome beside its backup, where listBackups reads it. */
export async function recordVerification(target: BackupTarget, verification: BackupVerification): Promise<void> {
  await writeJson(target, verificationName(verification.id), verification);
}

/** When a backup or keyring artifact was made, read from its id (newBackupId); undefined for another name. */
export function createdAtOfId(id: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z-[0-9a-f]{6}$/.exec(id);
  if (!match) return undefined;
  const [, day, hours, minutes, seconds, ms] = match;
  return Date.parse(`${day}T${hours}:${minutes}:${seconds}.${ms}Z`);
}

/** Objects of a backup begun and never finished (no info) are removed once this old. */
const UNFINISHED_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Removes the backups and keyring artifacts rotation no longer keeps (planBackupRotation,
 * planKeyringRotation), and backups begun a day ago or more that never finished. Answers how many of
 * each went.
 */
export async function rotateBackups(
  target: BackupTarget,
  options: { now: number; keep: BackupKeepCounts; keyringDays: number },
): Promise<{ backups: number; keyrings: number; unfinished: number }> {
  const listed = await listBackups(target);
  const plan = planBackupRotation(
    listed.map((backup) => ({
      id: backup.id,
      createdAt: backup.createdAt,
      verified: backup.verification?.ok === true,
    })),
    { now: options.now, keep: options.keep },
  );
  const removeFolder = async (id: string) => {
    for (const object of await target.list(`${BACKUPS_FOLDER}/${id}/`)) await target.delete(object.name);
  };
  for (const id of plan.remove) await removeFolder(id);
  const finished = new Set(listed.map((backup) => backup.id));
  const begun = new Set((await target.list(`${BACKUPS_FOLDER}/`)).map((object) => object.name.split('/')[1] as string));
  let unfinished = 0;
  for (const id of begun) {
    const createdAt = createdAtOfId(id);
    if (finished.has(id) || createdAt === undefined || options.now - createdAt < UNFINISHED_AFTER_MS) continue;
    await removeFolder(id);
    unfinished += 1;
  }
  const keyrings = (await listKeyrings(target)).flatMap((id) => {
    const createdAt = createdAtOfId(id);
    return createdAt === undefined ? [] : [{ id, createdAt }];
  });
  const keyringPlan = planKeyringRotation(keyrings, { now: options.now, keepDays: options.keyringDays });
  for (const id of keyringPlan.remove) await target.delete(keyringName(id));
  return { backups: plan.remove.length, keyrings: keyringPlan.remove.length, unfinished };
}
