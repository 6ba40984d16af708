import { createHmac, hkdfSync } from 'node:crypto';
import type { Store } from '../../storage/sealed-store.js';

/**
 * The signing secret of webhook endpoint `endpointId` at `version`: HKDF-SHA-256 of the account key,
 * labelled with the endpoint and version. Never stored: it is derived again for each call, and goes
 * with the account key when the account is purged. A new secret is the next version.
 */
export async function webhookSecret(
  store: Store,
  input: { accountId: string; endpointId: string; version: number },
): Promise<string> {
  const accountKey = await store.keyring.accountKey(store.db, input.accountId);
  const info = `plauder/webhook-secret/v1/${input.endpointId}/${input.version}`;
  return `whsec_${Buffer.from(hkdfSync('sha256', accountKey.key, Buffer.alloc(0), info, 32)).toString('base64url')}`;
}

/**
 * The `Plauder-Signature` header of a webhook body sent at `timestamp` (Unix seconds):
 * `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>`. A receiver recomputes
 * it over the raw body and rejects an old timestamp, so a recorded call cannot be replayed later.
 */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${mac}`;
}
