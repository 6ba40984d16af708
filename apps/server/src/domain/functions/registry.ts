import type { OptionalFunction, ProcessorDto } from '@plauder/protocol';
import type { Config } from '../../config/config.js';

/**
 * What one optional function is and whom it sends data to (promise P9). The processor lines of the
 * privacy report and of each account's sub-processor list are made from these declarations, never
 * written by hand.
 */
export interface FunctionDeclaration {
  readonly title: string;
  /** Whether the installation has what the function needs. */
  configured(config: Config): boolean;
  /** The party it sends data to, with what and why. */
  processor(config: Config): ProcessorDto;
}

const hostOf = (url: string) => new URL(url).host;

/** Every optional function, in the order the console and the reports list them. */
export const FUNCTIONS: Readonly<Record<OptionalFunction, FunctionDeclaration>> = {
  email: {
    title: 'Email notifications',
    configured: (config) => config.email !== undefined,
    processor: (config) => ({
      provider: config.email ? `the mail server at ${hostOf(config.email.url)}` : 'a mail server (none is set up)',
      hosts: config.email ? [hostOf(config.email.url)] : [],
      country: config.email?.country ?? 'not set up',
      dataCategories: [
        "operators' email addresses",
        "a visitor's email address and name, when they ask for their transcript",
        'message text of offline messages and of the transcripts asked for',
      ],
      purpose: 'tell operators of new offline messages; send visitors the transcript they ask for',
    }),
  },
  webhooks: {
    title: 'Webhooks',
    configured: () => true,
    processor: () => ({
      provider: "the account's own endpoints",
      hosts: [],
      country: 'where the account runs its endpoints',
      dataCategories: ['conversation and message events: ids, times, message text, contact name and email'],
      purpose: "hand the account's own systems what happens in its chats",
    }),
  },
  translation: {
    title: 'Machine translation',
    configured: (config) => config.translation !== undefined,
    processor: (config) => ({
      provider: config.translation
        ? `the translation service at ${hostOf(config.translation.url)}`
        : 'a translation service (none is set up)',
      hosts: config.translation ? [hostOf(config.translation.url)] : [],
      country: config.translation?.country ?? 'not set up',
      dataCategories: ['message text'],
      purpose: 'translate messages between visitor and operator',
    }),
  },
};
