import type { ErrorCode } from '@plauder/protocol';

/** An error a use case answers with on purpose: a stable code and a message that says what to do. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The id is unknown, or belongs to another account: both answer the same, so ids cannot be probed. */
export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `No ${what} with id ${id} in this account`);
}
