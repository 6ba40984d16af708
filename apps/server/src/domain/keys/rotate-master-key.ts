import type { Context } from '../../context.js';
import { insertAuditEntry } from '../../storage/audit-repository.js';
import { recordMasterKeyCreated } from '../../storage/master-key-record.js';
import { setMeta } from '../../storage/meta-repository.js';
import { inTransaction } from '../../storage/sealed-store.js';

/**
 * Rewraps the keyring under a new master key in one transaction, which also records when the new key
 * was made (the privacy report's key age); no sealed data is touched. After it commits, this process
 * uses the new key; every other node must be restarted with it.
 */
export async function rotateMasterKey(
  ctx: Context,
  input: { newMasterKey: Buffer },
): Promise<{ rewrapped: number; oldKeyId: string; newKeyId: string }> {
  const now = ctx.clock.now();
  const result = await inTransaction(ctx.store, async (tx) => {
    const rotated = await tx.keyring.rotateMasterKey(tx.db, input.newMasterKey);
    await setMeta(tx.db, 'master_key_id', rotated.newKeyId);
    await recordMasterKeyCreated(tx.db, now);
    await insertAuditEntry(tx.db, {
      accountId: null,
      actorKind: 'cli',
      actorId: null,
      action: 'keys.rotated',
      targetKind: 'master_key',
      targetIds: [rotated.oldKeyId, rotated.newKeyId],
      count: rotated.rewrapped,
      at: now,
    });
    return rotated;
  });
  ctx.keyring.useMasterKey(input.newMasterKey);
  return result;
}
