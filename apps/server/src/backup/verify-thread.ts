import { parentPort, workerData } from 'node:worker_threads';
import { openArtifact } from './artifact.js';
import type { ArtifactKind } from './errors.js';
import { restoreIntoScratch } from './restore-into-scratch.js';
import type { FromVerifyThread, ToVerifyThread, VerifyThreadSettings } from './verify-while-writing.js';

// The verification thread of backupAndVerify (verify-while-writing.ts): restores a backup's sealed
// bytes into a scratch database as the main thread writes them to the target, and answers what did
// not come back.

const settings = workerData as VerifyThreadSettings;
const port = parentPort;
if (!port) throw new Error('verify-thread runs as a worker thread');
const key = { masterKeyId: settings.masterKeyId, key: Buffer.from(settings.key) };
const PROGRESS_INTERVAL_MS = 200;

/** The pieces of one artifact as they arrive, read once, in order; the main thread hears each taken. */
class Arriving {
  private readonly pieces: Buffer[] = [];
  private ended = false;
  private failed: string | undefined;
  private wake: (() => void) | undefined;

  push(bytes: Buffer): void {
    this.pieces.push(bytes);
    this.poke();
  }

  end(failed?: string): void {
    this.ended = true;
    this.failed = failed;
    this.poke();
  }

  async *read(): AsyncIterable<Buffer> {
    for (;;) {
      const piece = this.pieces.shift();
      if (piece) {
        const answer: FromVerifyThread = { consumed: piece.length };
        port?.postMessage(answer);
        yield piece;
      } else if (this.failed !== undefined) throw new Error(this.failed);
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private poke(): void {
    this.wake?.();
    this.wake = undefined;
  }
}

// The keyring artifact is small and read twice: kept whole once it has arrived.
const keyring: Buffer[] = [];
let keyringArrived: (failed?: string) => void = () => {};
const keyringComplete = new Promise<string | undefined>((resolve) => (keyringArrived = resolve));
const data = new Arriving();
let dataTaken = false;

port.on('message', (message: ToVerifyThread) => {
  if ('failed' in message) {
    keyringArrived(message.failed);
    data.end(message.failed);
    return;
  }
  const arriving: Record<ArtifactKind, (bytes: Buffer) => void> = {
    keyring: (bytes) => {
      keyring.push(bytes);
      const answer: FromVerifyThread = { consumed: bytes.length };
      port.postMessage(answer);
    },
    data: (bytes) => data.push(bytes),
  };
  if ('bytes' in message) arriving[message.artifact](Buffer.from(message.bytes));
  else if (message.artifact === 'keyring') keyringArrived();
  else data.end();
});

async function* keyringPieces(): AsyncIterable<Buffer> {
  const failed = await keyringComplete;
  if (failed !== undefined) throw new Error(failed);
  yield* keyring;
}

function dataPieces(): AsyncIterable<Buffer> {
  if (dataTaken) throw new Error('The data artifact of a backup being written is read once only');
  dataTaken = true;
  return data.read();
}

const started = Date.now();
let reportedAt = 0;
// Its scratch database exists once the call returns: the main thread may send the backup from then on.
const restoring = restoreIntoScratch({
  sources: {
    data: () => openArtifact(dataPieces(), { key, kind: 'data', id: settings.id }),
    keyring: () => openArtifact(keyringPieces(), { key, kind: 'keyring', id: settings.id }),
  },
  createdAt: settings.createdAt,
  ownKeyring: true,
  progress: (rows) => {
    if (Date.now() - reportedAt < PROGRESS_INTERVAL_MS) return;
    reportedAt = Date.now();
    const answer: FromVerifyThread = { rows };
    port.postMessage(answer);
  },
});
const began: FromVerifyThread = { started: true };
port.postMessage(began);
const restored = await restoring;
const answer: FromVerifyThread = { restored: { ...restored, durationMs: Date.now() - started } };
port.postMessage(answer);
port.close();
