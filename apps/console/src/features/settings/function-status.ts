import type { AccountFunctionDto, ProcessorDto } from '@plauder/protocol';

/**
 * Whether an optional function runs, or the first reason it does not: the plan, then the
 * installation, then the account's own switch. All three in order and still not running means the
 * account was closed, which stops every function.
 */
export function functionStatusText(fn: AccountFunctionDto): string {
  if (fn.active) return 'Running';
  if (!fn.inPlan) return 'Not in your plan';
  if (!fn.configured) return 'Not set up on this installation';
  if (!fn.enabled) return 'Off';
  return 'Stopped: the account is closed';
}

/**
 * The account's sub-processor entry of a function, as label and text: whom it sends to, where, the
 * hosts (once the installation names any), what and why.
 */
export function processorLines(processor: ProcessorDto): [label: string, text: string][] {
  const lines: [string, string][] = [
    ['Sends to', processor.provider],
    ['Country', processor.country],
  ];
  if (processor.hosts.length > 0) lines.push(['Hosts', processor.hosts.join(', ')]);
  lines.push(['Data', processor.dataCategories.join('; ')], ['Purpose', processor.purpose]);
  return lines;
}
