import type { Migration, MigrationProvider } from 'kysely';
import type { DialectName } from '../database.js';
import { foundation } from './0001-foundation.js';
import { cannedResponses } from './0002-canned-responses.js';
import { firstResponse } from './0003-first-response.js';
import { routing } from './0004-routing.js';
import { startRef } from './0005-start-ref.js';
import { stateVersion } from './0006-state-version.js';
import { clientIdFirst } from './0007-client-id-first.js';
import { consent } from './0008-consent.js';
import { consoleViews } from './0009-console-views.js';
import { searchIndex } from './0010-search-index.js';
import { operatorInvitations } from './0011-operator-invitations.js';
import { jobProgress } from './0012-job-progress.js';
import { erasureIndexes } from './0013-erasure-indexes.js';
import { conversationTokens } from './0014-conversation-tokens.js';
import { accountTimeZone } from './0015-account-time-zone.js';
import { wideRollups } from './0016-wide-rollups.js';
import { widgetDeletion } from './0017-widget-deletion.js';
import { optionalFunctions } from './0018-optional-functions.js';
import { deliveries } from './0019-deliveries.js';

/** Every migration, in order; the names sort in the order they run. */
export function migrations(dialect: DialectName): MigrationProvider {
  const all: Record<string, Migration> = {
    '0001-foundation': foundation(dialect),
    '0002-canned-responses': cannedResponses(dialect),
    '0003-first-response': firstResponse(dialect),
    '0004-routing': routing(dialect),
    '0005-start-ref': startRef(dialect),
    '0006-state-version': stateVersion(dialect),
    '0007-client-id-first': clientIdFirst(dialect),
    '0008-consent': consent(dialect),
    '0009-console-views': consoleViews(dialect),
    '0010-search-index': searchIndex(dialect),
    '0011-operator-invitations': operatorInvitations(dialect),
    '0012-job-progress': jobProgress(dialect),
    '0013-erasure-indexes': erasureIndexes(dialect),
    '0014-conversation-tokens': conversationTokens(dialect),
    '0015-account-time-zone': accountTimeZone(dialect),
    '0016-wide-rollups': wideRollups(dialect),
    '0017-widget-deletion': widgetDeletion(dialect),
    '0018-optional-functions': optionalFunctions(dialect),
    '0019-deliveries': deliveries(dialect),
  };
  return { getMigrations: () => Promise.resolve(all) };
}
