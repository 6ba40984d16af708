import type { ConversationSummaryDto } from '@plauder/protocol';
import type { Context } from '../../context.js';
import { KeyDestroyedError } from '../../crypto/errors.js';
import { openField } from '../../storage/sealed-store.js';
import { listSummaryRows, type SummaryRow } from '../../storage/search-repository.js';

/**
 * The console's summaries of some of the account's conversations, by id; ids that are not the
 * account's (or are gone) have none. The contact's name is opened with the contact's key; a contact
 * erased meanwhile shows no name.
 *
 * Search's own until the conversation lists present summaries in one shared place.
 */
export async function summarizeConversations(
  ctx: Context,
  input: { accountId: string; conversationIds: readonly string[] },
): Promise<Map<string, ConversationSummaryDto>> {
  const rows = await listSummaryRows(ctx.database.db, input);
  const summaries = new Map<string, ConversationSummaryDto>();
  for (const row of rows) summaries.set(row.id, { ...present(row), contactName: await contactName(ctx, row) });
  return summaries;
}

function present(row: SummaryRow): Omit<ConversationSummaryDto, 'contactName'> {
  return {
    id: row.id,
    widgetId: row.widget_id,
    status: row.status,
    origin: row.origin,
    operatorId: row.operator_id,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    version: row.state_version,
  };
}

async function contactName(ctx: Context, row: SummaryRow): Promise<string | null> {
  if (row.contact_id === null || row.contact_name_sealed === null) return null;
  const context = { accountId: row.account_id, table: 'contacts', column: 'name_sealed', rowId: row.contact_id };
  try {
    // The keyring caches the contact's key, so a contact in many hits is unwrapped once.
    return await openField(ctx.store, row.contact_name_sealed, context);
  } catch (error) {
    if (error instanceof KeyDestroyedError) return null;
    throw error;
  }
}
