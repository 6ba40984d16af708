import { z } from 'zod';
import { purgeIpAddresses } from '../domain/retention/purge-ip-addresses.js';
import { defineJob } from './job.js';

/**
 * Removes expired visitor IPs of every account, hourly (P3). A stored IP expires 23 hours after it was
 * collected (VISITOR_IP_TTL_MS), so with this schedule it is gone within 24 hours.
 */
export const purgeIpAddressesJob = defineJob({
  name: 'purge-ip-addresses',
  payload: z.object({}),
  schedule: '17 * * * *',
  unit: 'conversations',
  async run(ctx, job) {
    const { removed } = await purgeIpAddresses(ctx, {
      afterBatch: (n) => job.progress({ done: job.done + n }),
    });
    return { conversations: removed };
  },
});
