/** How a long command shows progress: a bar on a terminal, a plain line now and then elsewhere. */
export interface Progress {
  update(done: number, total: number | null): void;
  /** Ends the bar's line; call once when the work stopped, however it stopped. */
  finish(): void;
}

/** Plain progress lines are written at most this often, in milliseconds. */
const PLAIN_INTERVAL_MS = 2000;
const BAR_WIDTH = 30;

/**
 * Progress on stderr, so stdout stays the command's result: a redrawn bar when stderr is a terminal,
 * else a line every two seconds; nothing at all with `--json`.
 */
export function createProgress(options: {
  label: string;
  unit: string;
  json: boolean;
  stream?: NodeJS.WriteStream;
}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.json) return { update() {}, finish() {} };
  const tty = stream.isTTY;
  let lastLineAt = 0;
  let drawn = false;
  return {
    update(done, total) {
      const text = `${options.label} ${describe(done, total, options.unit)}`;
      if (tty) {
        stream.write(`\r${bar(done, total)} ${text}\x1b[K`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (now - lastLineAt < PLAIN_INTERVAL_MS) return;
      lastLineAt = now;
      stream.write(`${text}\n`);
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

function describe(done: number, total: number | null, unit: string): string {
  if (total === null || total <= 0) return `${done} ${unit}`;
  return `${done}/${total} ${unit} (${Math.floor((Math.min(done, total) / total) * 100)}%)`;
}

function bar(done: number, total: number | null): string {
  if (total === null || total <= 0) return `[${'·'.repeat(BAR_WIDTH)}]`;
  const filled = Math.round((Math.min(done, total) / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}
