import { sql } from 'kysely';
import type { Executor } from './schema.js';

/**
 * A unique constraint as each driver names it in a violation: PostgreSQL by the constraint's (or
 * unique index's) name, SQLite by its columns, as `table.column, table.column`.
 */
export interface UniqueKey {
  constraint: string;
  columns: string;
}

/**
 * Whether `error` is the violation of `key`. Dialect branch: better-sqlite3 names the columns in its
 * message, pg names the constraint (SQLSTATE 23505).
 */
export function isUniqueViolation(error: unknown, key: UniqueKey): boolean {
  if (!(error instanceof Error)) return false;
  // Safe: both drivers set `code` (and pg `constraint`) on their errors; absent properties read as undefined.
  const { code, constraint } = error as Error & { code?: unknown; constraint?: unknown };
  if (code === '23505') return constraint === key.constraint;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes(key.columns);
}

/**
 * Runs one write, answering `answer` for the violation of `key` instead of throwing. Inside a
 * transaction the write runs under a savepoint: PostgreSQL aborts a whole transaction at a failed
 * statement, and the caller's transaction must stay usable after this answer.
 */
export async function mapUniqueViolation<T, A>(
  db: Executor,
  input: { key: UniqueKey; answer: A },
  write: () => Promise<T>,
): Promise<T | A> {
  const savepoint = db.isTransaction;
  if (savepoint) await sql`savepoint unique_write`.execute(db);
  try {
    const result = await write();
    if (savepoint) await sql`release savepoint unique_write`.execute(db);
    return result;
  } catch (error) {
    if (!isUniqueViolation(error, input.key)) throw error;
    if (savepoint) await sql`rollback to savepoint unique_write`.execute(db);
    return input.answer;
  }
}
