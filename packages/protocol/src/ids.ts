/** A random UUID version 4, from whatever randomness the platform has (browsers over plain HTTP lack randomUUID). */
function randomUuid(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A UUID version 7 (RFC 9562): the epoch milliseconds `at` in its first 48 bits, then 74 random
 * bits. Ids made one after another sort after each other, so inserting rows keyed by them appends to
 * an index instead of touching a random page of it each time (fewer pages written per commit). It
 * tells no more than the time it was made.
 */
export function timeOrderedUuid(at: number = Date.now()): string {
  const random = randomUuid();
  const time = Math.max(0, Math.floor(at)).toString(16).padStart(12, '0').slice(-12);
  // random is xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx: keep from the version digit on, as version 7.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

/**
 * A fresh `clientMessageId` for a message a client sends. Any UUID is accepted; a time-ordered one
 * lets the server add the messages of one commit to the same pages of its client-id index.
 */
export function newClientMessageId(): string {
  return timeOrderedUuid();
}
