import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { median } from './measure.js';

/** The repository root: children run from here, so `--import tsx` resolves the workspace's tsx. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** How the stderr line starts that relay-gc-hook.ts prints when a collection asked for by SIGUSR2 is done. */
export const GC_DONE_LINE = 'relay-gc-done ';

const gcHook = pathToFileURL(path.join(repoRoot, 'bench/lib/relay-gc-hook.ts')).href;

/** A server started as a child process of the bench, so that its RSS and CPU time are its own. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Lines the child printed on stdout and stderr that matched `noteworthy`, in order. */
  readonly notes: string[];
  /**
   * Runs a full garbage collection in the child (SIGUSR2 to relay-gc-hook.ts) and waits for it; the
   * child's V8 heap used plus memory outside the heap (Buffers) afterwards, in KiB.
   */
  collectGarbage(): Promise<number>;
  /** Sends SIGTERM and waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/**
 * Starts `node --expose-gc --import tsx --import relay-gc-hook.ts SCRIPT ARGS…` with exactly `env`
 * and resolves once a stdout line matches `ready` (with that line). Lines for which `noteworthy` is
 * true are kept in `notes`, and so is an exit nobody asked for; rejects when the child exits before it
 * is ready or is not ready after `timeoutMs`.
 */
export function startChild(options: {
  name: string;
  /** The checkout the script is in and the child runs from; this one by default. */
  root?: string;
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  noteworthy: (line: string) => boolean;
  timeoutMs?: number;
}): Promise<{ child: Child; readyLine: string }> {
  // BENCH_CPU_PROFILE_DIR: every server child writes a V8 CPU profile there when it exits.
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const nodeArgs = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    '--expose-gc',
    '--import',
    'tsx',
    '--import',
    gcHook,
    path.join(options.root ?? repoRoot, options.script),
  ];
  const proc = spawn(process.execPath, [...nodeArgs, ...(options.args ?? [])], {
    cwd: options.root ?? repoRoot,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const notes: string[] = [];
  const gcWaiters: ((heapKb: number) => void)[] = [];
  let stopping = false;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    name: options.name,
    pid: proc.pid ?? -1,
    notes,
    collectGarbage() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${options.name} did not collect garbage within 10 s`)),
          10_000,
        );
        gcWaiters.push((heapKb) => {
          clearTimeout(timer);
          resolve(heapKb);
        });
        proc.kill('SIGUSR2');
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      stopping = true;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
  return new Promise((resolve, reject) => {
    let readyLine: string | undefined;
    let output = '';
    const timer = setTimeout(() => {
      void child.stop();
      reject(new Error(`${options.name} was not ready after ${options.timeoutMs ?? 60_000} ms:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const onLines = (stream: NodeJS.ReadableStream, isStdout: boolean) => {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (!isStdout && line.startsWith(GC_DONE_LINE)) {
            gcWaiters.shift()?.(Number(line.slice(GC_DONE_LINE.length)));
            continue;
          }
          if (readyLine === undefined) output += `${line}\n`;
          if (options.noteworthy(line)) notes.push(line);
          if (isStdout && readyLine === undefined && options.ready.test(line)) {
            readyLine = line;
            clearTimeout(timer);
            resolve({ child, readyLine: line });
          }
        }
      });
    };
    onLines(proc.stdout, true);
    onLines(proc.stderr, false);
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (readyLine === undefined) {
        reject(new Error(`${options.name} exited (${signal ?? code}) before it was ready:\n${output}`));
      } else if (!stopping) {
        notes.push(`${options.name} exited unexpectedly (${signal ?? `exit code ${code}`})`);
      }
    });
  });
}

/**
 * Runs `node --import tsx SCRIPT ARGS…` in the checkout `root` (this one by default) to its end; its
 * stdout, or an error with its stderr.
 */
export function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  root: string = repoRoot,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    proc.once('error', reject);
    proc.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${script} ${args.join(' ')} exited with ${code}: ${stderr}`)),
    );
  });
}

/** The resident set size of a process in KiB, from /proc/PID/status (Linux only). */
export function rssKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`No VmRSS for process ${pid}; the relay bench reads /proc and runs on Linux only`);
  return Number(match[1]);
}

/**
 * A child's memory after a full garbage collection, in KiB: its RSS (the median of `samples` readings
 * `intervalMs` apart, the first one `intervalMs` after the collection) and its heap plus Buffers.
 */
export async function settledMemoryKb(
  child: Child,
  options: { samples: number; intervalMs: number },
): Promise<{ rssKb: number; heapKb: number }> {
  const heapKb = await child.collectGarbage();
  const readings: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    await sleep(options.intervalMs);
    readings.push(rssKb(child.pid));
  }
  return { rssKb: median(readings), heapKb };
}

/** CPU time (user + system) a process has used, in milliseconds, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the
  // 12th and 13th, in clock ticks of 10 ms (USER_HZ is 100 on every Linux Node runs on).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A fresh PostgreSQL database `bench_<random>` on the server of `serverUrl`, for one run, and how to
 * drop it again. The server's configuration has no schema option, so a database isolates the run.
 */
export async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // `with (force)` (PostgreSQL 13+) ends the connections of a server that did not stop cleanly.
    drop: () => admin(`drop database if exists ${name} with (force)`),
  };
}
