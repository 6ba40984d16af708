import { backupInstallationJob } from './backup-installation.js';
import type { JobDefinition } from './job.js';
import { purgeFinishedJobsJob } from './purge-finished-jobs.js';
import { purgeAccountsJob } from './purge-accounts.js';
import { purgeIpAddressesJob } from './purge-ip-addresses.js';
import { deleteConversationsJob } from './delete-conversations.js';
import { deleteWidgetJob } from './delete-widget.js';
import { sweepRetentionJob } from './sweep-retention.js';

/**
 * Every job this program runs. Safe: `JobDefinition<unknown>` accepts any definition for listing; the
 * worker hands each one only what its own payload schema parsed.
 */
export const jobDefinitions: readonly JobDefinition<unknown>[] = [
  purgeFinishedJobsJob,
  purgeIpAddressesJob,
  purgeAccountsJob,
  deleteConversationsJob,
  deleteWidgetJob,
  sweepRetentionJob,
  backupInstallationJob,
];
