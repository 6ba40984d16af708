/**
 * Preloaded into the relay bench's server children, which run with `--expose-gc`: on SIGUSR2 a full
 * garbage collection, then the line `relay-gc-done HEAP_KB` on stderr (V8 heap used plus memory outside
 * it, such as Buffers, in KiB). RSS readings taken right after one
 * compare live memory, not whatever garbage the last burst of work left. Nothing else of the server
 * changes: no other code calls gc, and neither server handles SIGUSR2.
 */

// Safe: --expose-gc puts a function at globalThis.gc; without the flag it is undefined, checked below.
const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') throw new Error('bench/lib/relay-gc-hook.ts needs node --expose-gc');

process.on('SIGUSR2', () => {
  // Twice: the first collection runs finalizers and weak callbacks that free more for the second.
  gc();
  gc();
  // GC_DONE_LINE of relay-processes.ts, which waits for it (importing it here would run this file there).
  const { heapUsed, external } = process.memoryUsage();
  process.stderr.write(`relay-gc-done ${Math.round((heapUsed + external) / 1024)}\n`);
});
