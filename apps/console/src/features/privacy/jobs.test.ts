import type { JobDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import { isCancellable, isFinished, resultText, statusText } from './jobs.js';

function job(change: Partial<JobDto>): JobDto {
  return {
    id: 'j',
    name: 'delete-conversations',
    status: 'running',
    done: 3,
    total: 12,
    unit: 'conversations',
    attempts: 1,
    cancelRequested: false,
    lastError: null,
    result: null,
    createdAt: 1,
    startedAt: 2,
    finishedAt: null,
    ...change,
  };
}

describe('a job as the console tells of it', () => {
  it('shows progress while it runs, and that a cancel was asked for', () => {
    expect(statusText(job({}))).toBe('Running: 3 of 12 conversations');
    expect(statusText(job({ cancelRequested: true }))).toBe('Cancelling: 3 of 12 conversations');
    expect(statusText(job({ status: 'queued', done: 0, total: null }))).toBe('Queued');
  });

  it('ends done, failed with its error, or cancelled with what it did', () => {
    expect(isFinished(job({}))).toBe(false);
    expect(isFinished(job({ status: 'cancelled' }))).toBe(true);
    expect(statusText(job({ status: 'failed', lastError: 'disk full' }))).toBe('Failed: disk full');
    expect(statusText(job({ status: 'cancelled' }))).toBe('Cancelled after 3 of 12 conversations');
  });

  it('names the counts of a bulk delete in words', () => {
    const done = job({ status: 'done', result: { conversations: 2, messages: 7, attachments: 0, contacts: 1 } });
    expect(resultText(done)).toBe('Deleted 2 conversations, 7 messages, 0 files and 1 contact.');
    expect(resultText(job({ result: null }))).toBeNull();
  });

  it("offers no cancel for a widget's deletion, which runs to its end", () => {
    expect(isCancellable(job({}))).toBe(true);
    expect(isCancellable(job({ name: 'delete-widget' }))).toBe(false);
    expect(isCancellable(job({ status: 'done' }))).toBe(false);
    const done = job({ name: 'delete-widget', status: 'done', result: { conversations: 1, messages: 2 } });
    expect(resultText(done)).toBe('Deleted 1 conversation and 2 messages.');
  });
});
