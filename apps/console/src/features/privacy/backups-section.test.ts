import { describe, expect, it } from 'vitest';
import { backupHealthText } from './backups-section.js';

const health = { newestVerifiedAt: 0, ageHours: 3, stale: false, lastFailed: false, staleAfterHours: 26 };

describe('the backups section', () => {
  it('says how old the newest proven backup is, and warns when there is none or it is overdue', () => {
    expect(backupHealthText(health)).toEqual({
      text: 'The newest backup proven by a restore is 3 hours old.',
      warning: false,
    });
    expect(backupHealthText({ ...health, ageHours: 0 }).text).toBe(
      'The newest backup proven by a restore is less than an hour old.',
    );
    expect(backupHealthText({ ...health, ageHours: 30, stale: true })).toEqual({
      text: 'The newest backup proven by a restore is 30 hours old. Backups run daily: one is overdue (more than 26 hours).',
      warning: true,
    });
    expect(backupHealthText({ ...health, newestVerifiedAt: null, ageHours: null, stale: true })).toEqual({
      text: 'No backup of the installation has been verified yet.',
      warning: true,
    });
    expect(backupHealthText({ ...health, lastFailed: true }).warning).toBe(true);
  });
});
