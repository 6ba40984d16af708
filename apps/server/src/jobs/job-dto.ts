import type { JobDto } from '@plauder/protocol';
import { z } from 'zod';
import type { JobRow } from '../storage/jobs-repository.js';

const Result = z.record(z.string(), z.union([z.number(), z.string()]));

/** A job row as the API and the command line show it. */
export function jobDto(row: JobRow): JobDto {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    done: row.progress_done,
    total: row.progress_total,
    unit: row.progress_unit,
    attempts: row.attempts,
    cancelRequested: row.cancel_requested_at !== null,
    lastError: row.last_error,
    result: row.result === null ? null : parseResult(row.result),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function parseResult(text: string): JobDto['result'] {
  try {
    const parsed = Result.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    // Written by this program as JSON; a row edited by hand shows no result rather than failing the list.
    return null;
  }
}
