import type { Schema } from '../storage/schema.js';

/**
 * The tables a data backup holds, each before the tables whose rows reference its rows, so that a
 * restore inserts them in this order.
 */
export const DATA_TABLES = [
  'meta',
  'plans',
  'accounts',
  'account_functions',
  'webhook_endpoints',
  'operators',
  'api_tokens',
  'widgets',
  'canned_responses',
  'visitors',
  'contacts',
  'conversations',
  'messages',
  'attachments',
  'operator_invitations',
  'audit_log',
  'egress_refusals',
  'rollup_days',
  'rollup_quarters',
  'jobs',
  'erasure_records',
] as const satisfies readonly (keyof Schema)[];

/**
 * The tables of the keyring artifact, kept apart from the data and for a short time only (DESIGN §3):
 * the keys, and the records of what was erased. A restore takes both from the newest keyring artifact,
 * so that what was erased after the data backup stays erased.
 */
export const KEYRING_TABLES = ['keyring', 'erasure_records'] as const satisfies readonly (keyof Schema)[];

/**
 * The tables a backup does not hold because a restore rebuilds them from what it holds: the search
 * index of the conversations, from the tokens each message keeps (`messages.search_tokens`). About
 * as many rows as the messages, which a backup need not read, seal and verify twice.
 */
export const REBUILT_TABLES = {
  conversation_tokens: 'the words of each conversation, from messages.search_tokens',
} as const satisfies Partial<Record<keyof Schema, string>>;

/** The tables no backup holds, and why: the state of a running installation, not its data. */
export const UNSAVED_TABLES = {
  sessions: 'logins: a restored installation asks everyone to log in again',
  operator_presence: 'who is online now',
  operator_sockets: 'the sockets open now',
  deliveries: 'emails and webhook calls to make and their log: a restore does not send again what was sent',
} as const satisfies Partial<Record<keyof Schema, string>>;

export type DataTable = (typeof DATA_TABLES)[number];
