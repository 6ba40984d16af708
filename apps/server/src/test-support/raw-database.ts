import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Context } from '../context.js';

/**
 * The raw bytes the database keeps: on SQLite the file and its WAL as they are on disk (not
 * checkpointed first), on PostgreSQL a `pg_dump` of the test's schema, which writes bytea as hex:
 * `findRaw` looks for both forms.
 */
export function rawDatabase(input: { ctx: Context; schema: string | undefined }): Buffer {
  const { database } = input.ctx;
  if (database.dialect === 'sqlite') {
    const file = database.file ?? '';
    const wal = `${file}-wal`;
    return Buffer.concat([readFileSync(file), existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
  }
  return execFileSync('pg_dump', ['--schema', input.schema ?? '', input.ctx.config.databaseUrl ?? ''], {
    maxBuffer: 512 * 1024 * 1024,
  });
}

/**
 * Which of `values` (text, or bytes such as a ciphertext or a wrapped key) appear in `raw`, as bytes or
 * as the hex pg_dump writes for bytea; a text is named as it is, bytes by their hex.
 */
export function findRaw(raw: Buffer, values: readonly (string | Buffer)[]): string[] {
  const found: string[] = [];
  for (const value of values) {
    const bytes = Buffer.from(value);
    const forms = [bytes, Buffer.from(bytes.toString('hex'), 'utf8')];
    if (forms.some((form) => raw.includes(form))) found.push(typeof value === 'string' ? value : bytes.toString('hex'));
  }
  return found;
}
