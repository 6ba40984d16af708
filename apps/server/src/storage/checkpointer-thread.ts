import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointerSettings } from './checkpointer.js';
import { PinnedCheckpoints } from './pinned-checkpoints.js';

// The checkpoint thread (checkpointer.ts): copies the WAL into the database file every so often, and
// at once when the main thread asks for a catch-up.

const settings = workerData as CheckpointerSettings;
const port = parentPort;
if (!port) throw new Error('checkpointer-thread runs as a worker thread');

const checkpoints = new PinnedCheckpoints(settings.file);
port.postMessage({ started: true });
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

let running = true;
const timer = setInterval(() => {
  try {
    let pass = checkpoints.pass();
    if (pass.frames <= settings.restartFrames) return;
    // Before the writers pause, get close to the WAL's end: each pass copies what was committed during
    // the one before, until that is little, so the pause only has the last few frames to copy.
    for (let passes = 0; passes < 8; passes++) {
      const copiedBefore = pass.copied;
      pass = checkpoints.pass();
      if (pass.copied - copiedBefore < settings.closeFrames) break;
    }
    port.postMessage({ behind: true });
  } catch (error) {
    port.postMessage({ error: describe(error) });
  }
}, settings.intervalMs);

port.on('message', (message: 'catch-up' | 'truncate' | 'stop') => {
  if (!running) return;
  if (message === 'catch-up' || message === 'truncate') {
    try {
      if (message === 'truncate') {
        port.postMessage({ answer: checkpoints.truncate() });
      } else {
        const { frames, copied } = checkpoints.pass(true);
        port.postMessage({ answer: frames >= 0 && frames === copied });
      }
    } catch (error) {
      port.postMessage({ answer: false, error: describe(error) });
    }
    return;
  }
  running = false;
  clearInterval(timer);
  try {
    checkpoints.close();
  } finally {
    port.close();
  }
});
