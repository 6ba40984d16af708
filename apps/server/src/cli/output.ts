/** How a command prints: plain lines for people, or one JSON object with --json. */
export interface Output {
  /** A result: printed as `label: value` lines, or collected into the JSON object. */
  result(values: Record<string, unknown>): void;
  /** A line for people only (progress, hints); never in --json output. */
  say(line: string): void;
}

/** The output of one command run. */
export function createOutput(json: boolean): Output {
  return {
    result(values) {
      if (json) {
        process.stdout.write(`${JSON.stringify(values)}\n`);
        return;
      }
      for (const [label, value] of Object.entries(values)) process.stdout.write(`${label}: ${String(value)}\n`);
    },
    say(line) {
      if (!json) process.stdout.write(`${line}\n`);
    },
  };
}
