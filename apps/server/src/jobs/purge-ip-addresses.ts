import { z } from 'zod';
import { purgeIpAddresses } from '../domain/retention/purge-ip-addresses.js';
import { defineJob } from './job.js';

/**
 * Removes expired visitor IPs of every account every 15 minutes (P3). A stored IP expires 23 hours after
 * it was collected (VISITOR_IP_TTL_MS), so it is gone within 24 hours even when a run or two is late
 * (the worker claims sweeps first and keeps a slot free for them).
 */
export const purgeIpAddressesJob = defineJob({
  name: 'purge-ip-addresses',
  payload: z.object({}),
  schedule: '*/15 * * * *',
  unit: 'conversations',
  async run(ctx, job) {
    const { removed } = await purgeIpAddresses(ctx, {
      afterBatch: (n) => job.progress({ done: job.done + n }),
    });
    return { conversations: removed };
  },
});
