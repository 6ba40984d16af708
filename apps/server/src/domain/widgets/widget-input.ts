import type { WidgetSettingsChanges } from '@plauder/protocol';
import type { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * The stored settings with the changes over them. Fields not given stay as stored, absent ones too,
 * so they keep following the defaults; an undefined value counts as not given, never as a reset.
 * Over `{}`, the settings a new widget stores: only what it was given.
 */
export function mergeSettings(
  stored: Record<string, unknown>,
  changes: WidgetSettingsChanges,
): Record<string, unknown> {
  const { privacy, ...topLevel } = changes;
  const merged = { ...stored, ...definedOnly(topLevel) };
  if (privacy === undefined) return merged;
  const storedPrivacy = isRecord(stored.privacy) ? stored.privacy : {};
  return { ...merged, privacy: { ...storedPrivacy, ...definedOnly(privacy) } };
}

function definedOnly(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` parsed by `schema`; throws `validation_failed` naming the first bad field under `at`. */
export function parseWidgetInput<T>(schema: z.ZodType<T>, value: unknown, at: string[]): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: [...at, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  throw new AppError(
    'validation_failed',
    first ? `Invalid ${first.path || 'widget'}: ${first.message}` : 'Invalid widget',
    issues,
  );
}
