import { z } from 'zod';
import { sweepRetention } from '../domain/retention/sweep-retention.js';
import { defineJob } from './job.js';
import { parseJobCursor } from './job-cursor.js';

/** Where a killed sweep resumes (RetentionPosition): ids and counts only. */
const Position = z.object({
  accountId: z.string().nullable(),
  total: z.number().int(),
  totals: z.object({
    accounts: z.number().int(),
    conversations: z.number().int(),
    messages: z.number().int(),
    attachments: z.number().int(),
    contacts: z.number().int(),
    visitors: z.number().int().default(0),
  }),
});

/**
 * Erases the transcripts past each account's retention window (P6, sweepRetention), installation-wide,
 * every hour: a conversation outlives its window by an hour at most. Progress counts conversations; a
 * killed run resumes at the account it worked on.
 */
export const sweepRetentionJob = defineJob({
  name: 'sweep-retention',
  payload: z.object({}),
  schedule: '17 * * * *',
  unit: 'conversations',
  async run(ctx, job) {
    const totals = await sweepRetention(ctx, {
      resume: parseJobCursor(Position, job.cursor),
      onBatch: (position) =>
        job.progress({ done: position.totals.conversations, total: position.total, cursor: JSON.stringify(position) }),
    });
    return { ...totals };
  },
});
