import { createHash, type Hash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../storage/start-thread.js';
import {
  artifactName,
  createBackup,
  newBackupId,
  recordVerification,
  type ArtifactCopy,
  type BackupInfo,
  type BackupVerification,
} from './backups.js';
import type { ArtifactKind } from './errors.js';
import type { ScratchRestore } from './restore-into-scratch.js';
import type { BackupTarget } from './targets.js';

/** Sealed bytes sent to the verification thread and not yet taken, at most: the backup waits past it. */
const MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

export interface VerifyThreadSettings {
  masterKeyId: string;
  key: Uint8Array;
  id: string;
  createdAt: number;
}

/** From the main thread: a piece of an artifact, its end, or that the backup failed. */
export type ToVerifyThread =
  { artifact: ArtifactKind; bytes: Uint8Array } | { artifact: ArtifactKind; end: true } | { failed: string };

/** From the verification thread: that it began, bytes taken, rows written so far, and at last what it found. */
export type FromVerifyThread =
  { started: true } | { consumed: number } | { rows: number } | { restored: ScratchRestore & { durationMs: number } };

/**
 * A backup (createBackup) proved as it is written. A thread of its own restores the sealed bytes into
 * a scratch database as they go to the target (restoreIntoScratch, as verifyBackup does); once the
 * backup is written, both artifacts are read back from the target and must be, byte for byte, what
 * the thread restored. It proves what createBackup and then verifyBackup prove, in about the time of
 * the slower of the two instead of their sum. Records the verification beside the backup.
 */
export async function backupAndVerify(
  input: Parameters<typeof createBackup>[0] & {
    /** Hears the rows the verification has restored so far. */
    verifyProgress?: (rows: number) => void;
    /** Hears that the backup is written, while its verification may still be going. */
    written?: (info: BackupInfo) => void;
  },
): Promise<{ info: BackupInfo; verification: BackupVerification }> {
  const started = Date.now();
  const id = newBackupId(input.now);
  const thread = new VerificationThread(
    { masterKeyId: input.key.masterKeyId, key: input.key.key, id, createdAt: input.now },
    input.verifyProgress,
  );
  // Sent bytes all reach a restore that has begun: a failed backup ends it, and it cleans up after itself.
  await thread.started;
  let info: BackupInfo;
  try {
    info = await createBackup({ ...input, id, copy: thread });
  } catch (error) {
    await thread.fail(describe(error));
    throw error;
  }
  input.written?.(info);
  const problems: string[] = [];
  for (const kind of ['keyring', 'data'] as const) {
    const where = input.target.describe();
    try {
      if ((await digestOf(input.target, artifactName(kind, id))) !== thread.digest(kind)) {
        problems.push(`the ${kind} artifact read back from ${where} is not what was written to it`);
      }
    } catch (error) {
      problems.push(`the ${kind} artifact could not be read back from ${where}: ${describe(error)}`);
    }
  }
  const restored = await thread.outcome;
  problems.unshift(...restored.problems);
  const verification: BackupVerification = {
    id,
    at: input.now + (Date.now() - started),
    ok: problems.length === 0,
    keyringId: id,
    problems,
    rows: restored.rows,
    erasedSince: restored.erasedSince,
    durationMs: restored.durationMs,
  };
  await recordVerification(input.target, verification);
  return { info, verification };
}

/** SHA-256 of an object of `target`, as hex. */
async function digestOf(target: BackupTarget, name: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of target.read(name)) hash.update(chunk);
  return hash.digest('hex');
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The main thread's side of verify-thread.ts: sends it each sealed piece as the backup writes it, and
 * holds the backup back while more than MAX_IN_FLIGHT_BYTES wait in the thread.
 */
class VerificationThread implements ArtifactCopy {
  readonly outcome: Promise<ScratchRestore & { durationMs: number }>;
  /** Settles once the thread has begun its restore, or has ended. */
  readonly started: Promise<void>;
  private markStarted: () => void = () => {};
  private readonly worker: Worker;
  private readonly hashes: Record<ArtifactKind, Hash> = { keyring: createHash('sha256'), data: createHash('sha256') };
  private readonly digests: Partial<Record<ArtifactKind, string>> = {};
  private inFlight = 0;
  private gone = false;
  private resume: (() => void) | undefined;

  constructor(settings: VerifyThreadSettings, progress: ((rows: number) => void) | undefined) {
    this.worker = startThread(import.meta.url, 'verify-thread', settings);
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    this.outcome = new Promise((resolve) => {
      const failed = (problem: string) => {
        this.stopSending();
        resolve({ problems: [problem], rows: 0, erasedSince: 0, durationMs: 0 });
      };
      this.worker.on('message', (message: FromVerifyThread) => {
        if ('started' in message) this.markStarted();
        else if ('consumed' in message) {
          this.inFlight -= message.consumed;
          if (this.inFlight <= MAX_IN_FLIGHT_BYTES) this.wake();
        } else if ('rows' in message) progress?.(message.rows);
        else {
          this.stopSending();
          resolve(message.restored);
        }
      });
      // After an answer, these settle nothing.
      this.worker.on('error', (error) => failed(`The verification thread failed: ${error.message}`));
      this.worker.on('exit', (code) => failed(`The verification thread ended (exit code ${code}) before it answered`));
    });
  }

  async chunk(artifact: ArtifactKind, bytes: Buffer): Promise<void> {
    this.hashes[artifact].update(bytes);
    if (this.gone) return;
    // A copy of exactly these bytes, moved to the thread (a Buffer may be a view on a larger one).
    const copy = new Uint8Array(bytes);
    const message: ToVerifyThread = { artifact, bytes: copy };
    this.worker.postMessage(message, [copy.buffer]);
    this.inFlight += copy.length;
    if (this.inFlight > MAX_IN_FLIGHT_BYTES) await new Promise<void>((resolve) => (this.resume = resolve));
  }

  end(artifact: ArtifactKind): void {
    this.digests[artifact] = this.hashes[artifact].digest('hex');
    if (this.gone) return;
    const message: ToVerifyThread = { artifact, end: true };
    this.worker.postMessage(message);
  }

  /** SHA-256 of the artifact as written, as hex. */
  digest(artifact: ArtifactKind): string | undefined {
    return this.digests[artifact];
  }

  /** The backup failed: the thread stops its restore (and removes its scratch database) and ends. */
  async fail(reason: string): Promise<void> {
    if (!this.gone) {
      const message: ToVerifyThread = { failed: `The backup failed: ${reason}` };
      this.worker.postMessage(message);
    }
    await this.outcome;
    await this.worker.terminate();
  }

  private stopSending(): void {
    this.gone = true;
    this.markStarted();
    this.wake();
  }

  private wake(): void {
    this.resume?.();
    this.resume = undefined;
  }
}
