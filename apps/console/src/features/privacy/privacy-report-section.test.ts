import type { PrivacyReportDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import { holdsText, reportSummary } from './privacy-report-section.js';

const line = (id: string, holds: boolean) => ({ id, title: id, holds, detail: '' });
const report = (accountLines: ReturnType<typeof line>[]): PrivacyReportDto => ({
  generatedAt: 0,
  dataRegion: 'eu-central',
  holds: accountLines.every((l) => l.holds),
  installation: [line('store.database', true), line('backups', true)],
  accounts: [{ accountId: 'a', name: 'Acme', lines: accountLines, subProcessors: [] }],
});

describe('the privacy report section', () => {
  it('marks each line in words, not by colour alone', () => {
    expect(holdsText({ holds: true })).toBe('✓ Holds');
    expect(holdsText({ holds: false })).toBe('✗ Does not hold');
  });

  it('sums the report up: every check holds, or how many do not', () => {
    expect(reportSummary(report([line('retention', true)]))).toBe('All 3 checks hold.');
    expect(reportSummary(report([line('retention', false), line('visitor-ip', true)]))).toBe(
      '1 of 4 checks does not hold: see below.',
    );
    expect(reportSummary(report([line('retention', false), line('visitor-ip', false)]))).toBe(
      '2 of 4 checks do not hold: see below.',
    );
  });
});
