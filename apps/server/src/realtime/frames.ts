import type { RawData } from 'ws';
import type { z } from 'zod';

/** How a frame failed to parse: not JSON, or JSON that is not a known frame. */
export type FrameProblem = { code: 'malformed_frame' | 'unknown_frame_type'; message: string; ref?: string };

/** The id a frame names itself by: its clientMessageId or ref (at most 64 characters). */
export function refOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const record = json as Record<string, unknown>;
  const ref = record.clientMessageId ?? record.ref;
  return typeof ref === 'string' ? ref.slice(0, 64) : undefined;
}

/**
 * Parses one socket frame with a discriminated union of frames: `unknown` until the schema accepts it.
 * Binary frames, bad JSON, an unknown `type` and a wrong field answer each with their own problem.
 */
export function parseFrame<T>(
  schema: z.ZodType<T>,
  knownTypes: ReadonlySet<string>,
  data: RawData,
  isBinary: boolean,
): { frame: T } | { problem: FrameProblem } {
  if (isBinary) return { problem: { code: 'malformed_frame', message: 'Frames are JSON text, not binary' } };
  let json: unknown;
  try {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: { code: 'malformed_frame', message: 'The frame is not valid JSON' } };
  }
  const ref = refOf(json);
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    return {
      problem: {
        code: 'unknown_frame_type',
        message: `Unknown frame type ${JSON.stringify(type ?? null)}; see docs/PROTOCOL.md`,
        ...(ref ? { ref } : {}),
      },
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'frame';
    return {
      problem: {
        code: 'malformed_frame',
        message: `${type}: ${where} ${issue?.message ?? 'is invalid'}`,
        ...(ref ? { ref } : {}),
      },
    };
  }
  return { frame: parsed.data };
}
