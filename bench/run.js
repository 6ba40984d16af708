// Runs the benchmarks of bench/, each in its own process: `node bench/run.js [NAME…]`, all of them
// without a name. Results (one JSON line each) go to stdout, progress to stderr; the exit code is
// non-zero when a benchmark failed or a name is unknown.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SUFFIX = '.bench.ts';
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);

const available = readdirSync(benchDir)
  .filter((file) => file.endsWith(SUFFIX))
  .map((file) => file.slice(0, -SUFFIX.length))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`Unknown benchmark ${unknown.join(', ')}; the benchmarks are: ${available.join(', ')}\n`);
  process.exit(2);
}

const failed = [];
for (const name of requested.length > 0 ? requested : available) {
  process.stderr.write(`bench ${name}: starting\n`);
  const started = performance.now();
  // From the repository root, so `--import tsx` resolves the workspace's tsx.
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, name + SUFFIX)], {
    cwd: root,
    stdio: 'inherit',
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (run.error) {
    process.stderr.write(`bench ${name}: could not start (${run.error.message})\n`);
    failed.push(name);
  } else if (run.status !== 0) {
    process.stderr.write(`bench ${name}: failed after ${seconds} s (${run.signal ?? `exit code ${run.status}`})\n`);
    failed.push(name);
  } else {
    process.stderr.write(`bench ${name}: done in ${seconds} s\n`);
  }
}
if (failed.length > 0) {
  process.stderr.write(`Failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
