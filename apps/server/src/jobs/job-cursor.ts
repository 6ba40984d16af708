import type { z } from 'zod';

/**
 * The position a killed run saved with `progress` (JobRun.cursor), read with the job's own schema;
 * undefined on a first run, and for a cursor that does not parse (edited by hand, or saved by an
 * older version): the run starts over, which an idempotent job may always do.
 */
export function parseJobCursor<T>(schema: z.ZodType<T>, cursor: string | undefined): T | undefined {
  if (cursor === undefined) return undefined;
  let saved: unknown;
  try {
    saved = JSON.parse(cursor);
  } catch {
    // Written by the job as JSON; one that is not starts the run over, as the doc says.
    return undefined;
  }
  const parsed = schema.safeParse(saved);
  return parsed.success ? parsed.data : undefined;
}
