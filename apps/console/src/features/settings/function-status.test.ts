import type { AccountFunctionDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import { functionStatusText, processorLines } from './function-status.js';

function fn(change: Partial<AccountFunctionDto>): AccountFunctionDto {
  return {
    function: 'translation',
    title: 'Translation',
    inPlan: true,
    configured: true,
    enabled: true,
    active: true,
    processor: {
      provider: 'DeepL SE',
      hosts: ['api.deepl.com'],
      country: 'DE',
      dataCategories: ['message text'],
      purpose: 'translating messages',
    },
    ...change,
  };
}

describe('an optional function as the console tells of it', () => {
  it('says it runs, or the first reason it does not: plan, installation, switch', () => {
    expect(functionStatusText(fn({}))).toBe('Running');
    expect(functionStatusText(fn({ active: false, inPlan: false, configured: false, enabled: false }))).toBe(
      'Not in your plan',
    );
    expect(functionStatusText(fn({ active: false, configured: false, enabled: false }))).toBe(
      'Not set up on this installation',
    );
    expect(functionStatusText(fn({ active: false, enabled: false }))).toBe('Off');
    expect(functionStatusText(fn({ active: false }))).toBe('Stopped: the account is closed');
  });

  it('lists whom it sends to, where, what and why, with the hosts once there are any', () => {
    const { processor } = fn({});
    expect(processorLines(processor)).toEqual([
      ['Sends to', 'DeepL SE'],
      ['Country', 'DE'],
      ['Hosts', 'api.deepl.com'],
      ['Data', 'message text'],
      ['Purpose', 'translating messages'],
    ]);
    expect(processorLines({ ...processor, hosts: [], dataCategories: ['a', 'b'] }).map(([label]) => label)).toEqual([
      'Sends to',
      'Country',
      'Data',
      'Purpose',
    ]);
    expect(processorLines({ ...processor, dataCategories: ['ids, times', 'message text'] })[3]).toEqual([
      'Data',
      'ids, times; message text',
    ]);
  });
});
