import { ROLLUP_COLUMNS } from './rollup-metrics.js';
import type { Schema } from './schema.js';

/**
 * How a column is protected at rest:
 * - `sealed`: AES-256-GCM with the key of its data subject (crypto/seal);
 * - `blind-index`: a keyed HMAC of a normalized value, for lookups without the value;
 * - `hashed`: a one-way hash of a secret (password, token);
 * - `plain`: stored as is; allowed only for columns that are not personal.
 */
export type Protection = 'sealed' | 'blind-index' | 'hashed' | 'plain';

/**
 * Which rule removes a column's data besides erasure:
 * - `transcript`: the account's retention window (1–36 months) for chat transcripts;
 * - `ip-24h`: at most 24 hours after it was written;
 * - `session`: when the session or token expires;
 * - `account`: lives as long as the account (removed by the account purge after termination);
 * - `job`: removed when the job is finished and its record aged out;
 * - `installation`: lives as long as the installation.
 */
export type Retention = 'transcript' | 'ip-24h' | 'session' | 'account' | 'job' | 'installation';

/**
 * How erasure reaches a column:
 * - `key-destruction`: its subject's key is destroyed and the row deleted, so backups are unreadable too;
 * - `row-deletion`: the row is deleted with its subject (cascade);
 * - `account-purge`: only the account purge removes it;
 * - `none`: installation-level data that erasure of a subject never needs to touch.
 */
export type Erasure = 'key-destruction' | 'row-deletion' | 'account-purge' | 'none';

/** The classification of one column. */
export interface ColumnClass {
  readonly personal: boolean;
  readonly protection: Protection;
  readonly retention: Retention;
  readonly erasure: Erasure;
  /** Whether the data subject's export contains the column. */
  readonly exported: boolean;
  /** Who the column is about, for personal columns: the subject whose key seals it. */
  readonly subject?: 'operator' | 'contact' | 'conversation' | 'visitor';
  readonly note?: string;
}

type Classes = { readonly [T in keyof Schema]: { readonly [C in keyof Schema[T]]-?: ColumnClass } };

const plain = (retention: Retention, erasure: Erasure, exported = false): ColumnClass => ({
  personal: false,
  protection: 'plain',
  retention,
  erasure,
  exported,
});
const sealed = (subject: NonNullable<ColumnClass['subject']>, retention: Retention, note?: string): ColumnClass => ({
  personal: true,
  protection: 'sealed',
  retention,
  erasure: 'key-destruction',
  exported: true,
  subject,
  ...(note ? { note } : {}),
});

/** Words of a conversation as search tokens (domain/search): kept as long as the transcript, never exported. */
const searchWords = (note: string): ColumnClass => ({
  personal: true,
  protection: 'blind-index',
  retention: 'transcript',
  erasure: 'row-deletion',
  exported: false,
  subject: 'conversation',
  note,
});

/** The count columns of the rollup tables, one per metric (storage/rollup-metrics.ts): sums, no person's. */
const rollupCounts: Readonly<Record<string, ColumnClass>> = Object.fromEntries(
  ROLLUP_COLUMNS.map((column) => [
    column,
    { ...plain('account', 'account-purge'), note: 'a sum of one metric (storage/rollup-metrics.ts); NULL for zero' },
  ]),
);

/**
 * The data map: every table and column, classified. Retention, erasure, export, the privacy report and
 * the plaintext scan are driven by it; a test fails when the migrated schema has a column not listed here.
 */
export const dataMap: Classes = {
  meta: {
    key: plain('installation', 'none'),
    value: plain('installation', 'none'),
  },
  accounts: {
    id: plain('account', 'account-purge'),
    name: plain('account', 'account-purge', true),
    plan: plain('account', 'account-purge'),
    status: plain('account', 'account-purge'),
    retention_months: plain('account', 'account-purge'),
    show_visitor_ip: plain('account', 'account-purge'),
    time_zone: plain('account', 'account-purge'),
    created_at: plain('account', 'account-purge'),
    terminated_at: plain('account', 'account-purge'),
    purge_after_at: plain('account', 'account-purge'),
  },
  operators: {
    id: plain('account', 'row-deletion', true),
    account_id: plain('account', 'row-deletion'),
    email_index: {
      personal: true,
      protection: 'blind-index',
      retention: 'account',
      erasure: 'row-deletion',
      exported: false,
      subject: 'operator',
      note: 'HMAC under the installation index key, for login lookup; `removed:` and the id once the operator is removed, so the email can be invited again',
    },
    email_sealed: sealed('operator', 'account'),
    display_name_sealed: sealed('operator', 'account'),
    role: plain('account', 'row-deletion', true),
    password_hash: {
      personal: false,
      protection: 'hashed',
      retention: 'account',
      erasure: 'row-deletion',
      exported: false,
      note: 'argon2id',
    },
    totp_secret_sealed: { ...sealed('operator', 'account'), exported: false, note: 'a credential, never exported' },
    totp_enabled: plain('account', 'row-deletion', true),
    totp_last_step: plain('account', 'row-deletion'),
    created_at: plain('account', 'row-deletion', true),
    updated_at: plain('account', 'row-deletion'),
    disabled_at: plain('account', 'row-deletion'),
  },
  sessions: {
    id: {
      personal: false,
      protection: 'hashed',
      retention: 'session',
      erasure: 'row-deletion',
      exported: false,
      note: 'SHA-256 of the session token; the token itself is only in the cookie',
    },
    account_id: plain('session', 'row-deletion'),
    operator_id: plain('session', 'row-deletion'),
    created_at: plain('session', 'row-deletion'),
    last_seen_at: plain('session', 'row-deletion'),
    expires_at: plain('session', 'row-deletion'),
  },
  api_tokens: {
    id: plain('account', 'row-deletion'),
    account_id: plain('account', 'row-deletion'),
    created_by: plain('account', 'row-deletion'),
    name: plain('account', 'row-deletion'),
    token_hash: {
      personal: false,
      protection: 'hashed',
      retention: 'session',
      erasure: 'row-deletion',
      exported: false,
      note: 'SHA-256 of the token secret',
    },
    scope: plain('account', 'row-deletion'),
    created_at: plain('account', 'row-deletion'),
    last_used_at: plain('account', 'row-deletion'),
    expires_at: plain('account', 'row-deletion'),
    revoked_at: plain('account', 'row-deletion'),
  },
  widgets: {
    id: plain('account', 'account-purge'),
    account_id: plain('account', 'account-purge'),
    public_key: plain('account', 'account-purge'),
    name: plain('account', 'account-purge'),
    settings: plain('account', 'account-purge'),
    created_at: plain('account', 'account-purge'),
    updated_at: plain('account', 'account-purge'),
    deleted_at: {
      ...plain('account', 'account-purge'),
      note: 'when its deletion was asked for; the delete-widget job erases its conversations, then removes the row',
    },
  },
  plans: {
    name: plain('installation', 'none'),
    functions: { ...plain('installation', 'none'), note: 'names of optional functions' },
    created_at: plain('installation', 'none'),
    updated_at: plain('installation', 'none'),
  },
  account_functions: {
    account_id: plain('account', 'account-purge'),
    function: plain('account', 'account-purge'),
    enabled_by: { ...plain('account', 'account-purge'), note: 'an operator id; NULL for a token or the command line' },
    enabled_at: plain('account', 'account-purge'),
  },
  egress_refusals: {
    account_id: plain('account', 'account-purge'),
    day: plain('account', 'account-purge'),
    function: plain('account', 'account-purge'),
    host: {
      ...plain('account', 'account-purge'),
      note: 'the host a refused call was for; never what it would have sent',
    },
    count: plain('account', 'account-purge'),
    last_at: plain('account', 'account-purge'),
  },
  webhook_endpoints: {
    id: plain('account', 'account-purge'),
    account_id: plain('account', 'account-purge'),
    url: { ...plain('account', 'account-purge'), note: "the account's own endpoint, not personal data" },
    events: plain('account', 'account-purge'),
    enabled: plain('account', 'account-purge'),
    secret_version: {
      ...plain('account', 'account-purge'),
      note: 'which derivation of the signing secret is current; the secret itself is never stored',
    },
    created_by: { ...plain('account', 'account-purge'), note: 'an operator id; NULL for a token or the command line' },
    created_at: plain('account', 'account-purge'),
    updated_at: plain('account', 'account-purge'),
  },
  deliveries: {
    id: plain('job', 'account-purge'),
    account_id: plain('job', 'account-purge'),
    function: plain('job', 'account-purge'),
    event: plain('job', 'account-purge'),
    endpoint_id: plain('job', 'account-purge'),
    conversation_id: {
      ...plain('job', 'account-purge'),
      note: 'a reference: what is sent is read and opened when it is sent, so an erased conversation sends nothing',
    },
    message_id: plain('job', 'account-purge'),
    status: plain('job', 'account-purge'),
    attempts: plain('job', 'account-purge'),
    next_attempt_at: plain('job', 'account-purge'),
    locked_by: plain('job', 'account-purge'),
    locked_until: plain('job', 'account-purge'),
    last_code: plain('job', 'account-purge'),
    last_error: { ...plain('job', 'account-purge'), note: 'why an attempt failed, never content' },
    created_at: plain('job', 'account-purge'),
    finished_at: plain('job', 'account-purge'),
  },
  canned_responses: {
    id: plain('account', 'account-purge'),
    account_id: plain('account', 'account-purge'),
    shortcut: plain('account', 'account-purge'),
    title: { ...plain('account', 'account-purge'), note: 'an account reply template, not personal data' },
    body: { ...plain('account', 'account-purge'), note: 'an account reply template, not personal data' },
    created_by: {
      ...plain('account', 'account-purge'),
      note: 'an operator id; set to NULL when the operator is deleted',
    },
    created_at: plain('account', 'account-purge'),
    updated_at: plain('account', 'account-purge'),
  },
  visitors: {
    id: plain('transcript', 'row-deletion', true),
    account_id: plain('transcript', 'row-deletion'),
    widget_id: plain('transcript', 'row-deletion'),
    created_at: plain('transcript', 'row-deletion', true),
    last_seen_at: plain('transcript', 'row-deletion', true),
  },
  contacts: {
    id: plain('account', 'row-deletion', true),
    account_id: plain('account', 'row-deletion'),
    name_sealed: sealed('contact', 'account'),
    email_sealed: sealed('contact', 'account'),
    email_index: {
      personal: true,
      protection: 'blind-index',
      retention: 'account',
      erasure: 'row-deletion',
      exported: false,
      subject: 'contact',
      note: "HMAC under the account's index key",
    },
    phone_sealed: sealed('contact', 'account'),
    notes_sealed: sealed('contact', 'account'),
    created_at: plain('account', 'row-deletion', true),
    updated_at: plain('account', 'row-deletion', true),
  },
  conversations: {
    id: plain('transcript', 'key-destruction', true),
    account_id: plain('transcript', 'key-destruction'),
    widget_id: plain('transcript', 'key-destruction', true),
    visitor_id: plain('transcript', 'key-destruction'),
    contact_id: plain('transcript', 'key-destruction'),
    operator_id: plain('transcript', 'key-destruction'),
    status: plain('transcript', 'key-destruction', true),
    visitor_email_sealed: sealed('conversation', 'transcript', 'from an offline message'),
    visitor_ip_sealed: sealed('conversation', 'ip-24h', 'only when the account shows IPs; purged within 24 h'),
    visitor_ip_expires_at: plain('ip-24h', 'key-destruction'),
    rating: plain('transcript', 'key-destruction', true),
    rating_comment_sealed: sealed('conversation', 'transcript'),
    last_seq: plain('transcript', 'key-destruction'),
    created_at: plain('transcript', 'key-destruction', true),
    updated_at: plain('transcript', 'key-destruction'),
    closed_at: plain('transcript', 'key-destruction', true),
    first_response_at: plain('transcript', 'key-destruction', true),
    origin: plain('transcript', 'key-destruction', true),
    start_ref_digest: {
      ...plain('transcript', 'key-destruction'),
      note: "SHA-256 of the chat window's ref for the start: a repeated start finds its conversation",
    },
    state_version: {
      ...plain('transcript', 'key-destruction'),
      note: 'counts the changes of status and operator, to order their events across nodes',
    },
    consent_version: {
      ...plain('transcript', 'key-destruction', true),
      note: "the version of the privacy notice the visitor consented to (such as en-1), not the visitor's data",
    },
    consent_at: {
      ...plain('transcript', 'key-destruction', true),
      note: 'when the server received the consent',
    },
    visitor_context_sealed: sealed(
      'conversation',
      'transcript',
      "the page (origin and path), language and time zone the visitor's window reported at the start",
    ),
  },
  operator_presence: {
    operator_id: plain('account', 'row-deletion'),
    account_id: plain('account', 'row-deletion'),
    status: plain('account', 'row-deletion', true),
    capacity: plain('account', 'row-deletion', true),
    last_assigned_at: plain('account', 'row-deletion'),
    disconnected_at: plain('account', 'row-deletion'),
    updated_at: plain('account', 'row-deletion'),
  },
  operator_sockets: {
    id: { ...plain('session', 'row-deletion'), note: 'a random id per open socket; no address, no agent' },
    account_id: plain('session', 'row-deletion'),
    operator_id: plain('session', 'row-deletion'),
    node_id: plain('session', 'row-deletion'),
    connected_at: plain('session', 'row-deletion'),
    seen_at: plain('session', 'row-deletion'),
  },
  messages: {
    id: plain('transcript', 'key-destruction'),
    account_id: plain('transcript', 'key-destruction'),
    conversation_id: plain('transcript', 'key-destruction'),
    seq: plain('transcript', 'key-destruction'),
    client_message_id: plain('transcript', 'key-destruction'),
    author_kind: plain('transcript', 'key-destruction', true),
    operator_id: plain('transcript', 'key-destruction'),
    kind: plain('transcript', 'key-destruction', true),
    body_sealed: sealed('conversation', 'transcript'),
    created_at: plain('transcript', 'key-destruction', true),
    search_tokens: searchWords(
      "the message's distinct words (body or file name) as HMAC-SHA-256, 16 bytes each, under the account's search key; deleted with the message; not exported, since the export holds the words themselves",
    ),
  },
  attachments: {
    id: plain('transcript', 'key-destruction'),
    account_id: plain('transcript', 'key-destruction'),
    conversation_id: plain('transcript', 'key-destruction'),
    message_id: plain('transcript', 'key-destruction'),
    file_name_sealed: sealed(
      'conversation',
      'transcript',
      'the file content is sealed with the same key in the file store',
    ),
    content_type: plain('transcript', 'key-destruction', true),
    size_bytes: plain('transcript', 'key-destruction', true),
    storage_key: plain('transcript', 'key-destruction'),
    created_at: plain('transcript', 'key-destruction', true),
  },
  conversation_tokens: {
    conversation_id: plain('transcript', 'row-deletion'),
    token: searchWords(
      "a word of the conversation's messages (bodies, notes, file names) as HMAC-SHA-256, 16 bytes, under the account's search key (HKDF of the account key); deleted with the conversation, and with the last message that held it; meaningless once the account key is destroyed; not exported, since the export holds the words themselves",
    ),
  },
  keyring: {
    id: plain('account', 'none'),
    account_id: plain('account', 'none'),
    kind: plain('account', 'none'),
    subject_id: plain('account', 'none'),
    wrapped_by: plain('account', 'none'),
    wrapped_key: {
      personal: false,
      protection: 'sealed',
      retention: 'account',
      erasure: 'none',
      exported: false,
      note: 'wrapped by its parent key; set to NULL when the key is destroyed',
    },
    created_at: plain('account', 'none'),
    destroyed_at: plain('account', 'none'),
  },
  audit_log: {
    id: plain('account', 'account-purge'),
    account_id: plain('account', 'account-purge'),
    actor_kind: plain('account', 'account-purge'),
    actor_id: plain('account', 'account-purge'),
    action: plain('account', 'account-purge'),
    target_kind: plain('account', 'account-purge'),
    target_ids: plain('account', 'account-purge'),
    count: plain('account', 'account-purge'),
    created_at: plain('account', 'account-purge'),
  },
  rollup_days: {
    account_id: plain('account', 'account-purge'),
    day: plain('account', 'account-purge'),
    widget_id: plain('account', 'account-purge'),
    operator_id: plain('account', 'account-purge'),
    ...rollupCounts,
  },
  rollup_quarters: {
    account_id: plain('account', 'account-purge'),
    day: plain('account', 'account-purge'),
    quarter: plain('account', 'account-purge'),
    widget_id: plain('account', 'account-purge'),
    operator_id: plain('account', 'account-purge'),
    ...rollupCounts,
  },
  jobs: {
    id: plain('job', 'none'),
    name: plain('job', 'none'),
    payload: { ...plain('job', 'none'), note: 'ids and filters only, never content' },
    status: plain('job', 'none'),
    run_at: plain('job', 'none'),
    locked_by: plain('job', 'none'),
    locked_until: plain('job', 'none'),
    attempts: plain('job', 'none'),
    last_error: plain('job', 'none'),
    created_at: plain('job', 'none'),
    finished_at: plain('job', 'none'),
    account_id: plain('job', 'row-deletion'),
    progress_done: plain('job', 'none'),
    progress_total: plain('job', 'none'),
    progress_unit: plain('job', 'none'),
    cursor: { ...plain('job', 'none'), note: 'ids and times only, never content' },
    result: { ...plain('job', 'none'), note: 'counts only, never content' },
    cancel_requested_at: plain('job', 'none'),
    started_at: plain('job', 'none'),
    schedule_key: plain('job', 'none'),
  },
  erasure_records: {
    id: {
      ...plain('installation', 'none'),
      note: 'kept while the installation lives, for restores to replay; a purged account keeps only its own (kind account)',
    },
    account_id: plain('installation', 'none'),
    subject_kind: plain('installation', 'none'),
    subject_id: plain('installation', 'none'),
    erased_at: plain('installation', 'none'),
    reason: plain('installation', 'none'),
  },
  operator_invitations: {
    id: plain('session', 'row-deletion'),
    account_id: plain('session', 'row-deletion'),
    email_sealed: {
      ...sealed('operator', 'session'),
      exported: false,
      note: "the invitee's email, sealed with the account key (the invitee has no key yet); the row is deleted when the invitation is used, revoked or expired",
    },
    email_index: {
      personal: true,
      protection: 'blind-index',
      retention: 'session',
      erasure: 'row-deletion',
      exported: false,
      subject: 'operator',
      note: 'HMAC under the installation index key, as operators.email_index: one pending invitation per email in an account',
    },
    role: plain('session', 'row-deletion'),
    token_hash: {
      personal: false,
      protection: 'hashed',
      retention: 'session',
      erasure: 'row-deletion',
      exported: false,
      note: "SHA-256 of the invitation link's token; the token itself is shown once, at creation",
    },
    created_by: {
      ...plain('session', 'row-deletion'),
      note: 'the inviting operator (null for an API token or the command line); removing them deletes the row',
    },
    created_at: plain('session', 'row-deletion'),
    expires_at: plain('session', 'row-deletion'),
  },
};

/** Every column the data map marks personal and sealed, as `table.column`. */
export function sealedPersonalColumns(): string[] {
  return Object.entries(dataMap).flatMap(([table, columns]) =>
    // Safe: `Classes` maps every column of every table to a ColumnClass; the cast forgets only the column names.
    Object.entries(columns as Record<string, ColumnClass>)
      .filter(([, c]) => c.personal && c.protection === 'sealed')
      .map(([column]) => `${table}.${column}`),
  );
}

/** Checks the rules of the map itself: a personal column is never plain. Returns the breaches. */
export function dataMapBreaches(): string[] {
  return Object.entries(dataMap).flatMap(([table, columns]) =>
    // Safe: `Classes` maps every column of every table to a ColumnClass; the cast forgets only the column names.
    Object.entries(columns as Record<string, ColumnClass>)
      .filter(([, c]) => c.personal && c.protection === 'plain')
      .map(([column]) => `${table}.${column} is personal but stored plain`),
  );
}
