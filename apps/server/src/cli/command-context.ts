import { Option } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { createContext, createLogger, type Context } from '../context.js';

/** The `--json` option every command offers. */
export const jsonOption = (): Option => new Option('--json', 'machine-readable output: one JSON object');

/** Runs a command's work with a context (logging to stderr) and closes it after, however it ends. */
export async function withContext<T>(work: (ctx: Context, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const ctx = await createContext(config, { logger: createLogger(config, { stderr: true }) });
  try {
    return await work(ctx, config);
  } finally {
    await ctx.close();
  }
}
