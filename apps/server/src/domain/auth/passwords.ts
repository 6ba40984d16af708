import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../errors.js';

/** The shortest password accepted, in characters. */
export const MIN_PASSWORD_LENGTH = 10;

// OWASP's argon2id baseline: 19 MiB memory, 2 iterations, 1 lane.
// algorithm 2 is Algorithm.Argon2id, a const enum that verbatimModuleSyntax cannot import.
const options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id after checking the length policy. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('validation_failed', `The password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return hash(password, options);
}

/** Checks a password against its hash; false for a mismatch or an unreadable hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the time of one verification, so an unknown email answers as slowly as a wrong password. */
export async function verifyAgainstNothing(password: string): Promise<void> {
  dummyHash ??= hash('plauder-timing-equalizer', options);
  await verifyPassword(await dummyHash, password);
}
