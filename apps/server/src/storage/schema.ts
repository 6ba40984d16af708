import type { Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';

/**
 * Row types of every table. Timestamps are `*_at` columns holding UTC epoch milliseconds; booleans
 * are 0/1 integers in both dialects; sealed columns (`*_sealed`) hold the binary format of crypto/seal.
 */
export interface Schema {
  meta: MetaTable;
  accounts: AccountsTable;
  operators: OperatorsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  widgets: WidgetsTable;
  canned_responses: CannedResponsesTable;
  visitors: VisitorsTable;
  contacts: ContactsTable;
  conversations: ConversationsTable;
  operator_presence: OperatorPresenceTable;
  operator_sockets: OperatorSocketsTable;
  messages: MessagesTable;
  attachments: AttachmentsTable;
  conversation_tokens: ConversationTokensTable;
  keyring: KeyringTable;
  audit_log: AuditLogTable;
  rollup_days: RollupDaysTable;
  rollup_quarters: RollupQuartersTable;
  jobs: JobsTable;
  erasure_records: ErasureRecordsTable;
  operator_invitations: OperatorInvitationsTable;
  plans: PlansTable;
  account_functions: AccountFunctionsTable;
  egress_refusals: EgressRefusalsTable;
  webhook_endpoints: WebhookEndpointsTable;
  deliveries: DeliveriesTable;
}

/** A database handle or an open transaction: every repository function takes either. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

/** Installation-wide facts as text key and value, such as `data_region` and `master_key_id`. */
export interface MetaTable {
  key: string;
  value: string;
}

/** A tenant; every row that belongs to one account carries its id as `account_id`. */
export interface AccountsTable {
  id: string;
  name: string;
  plan: string;
  status: 'active' | 'terminated';
  retention_months: number;
  /** 1 when operators see a visitor's IP address (sealed, kept 24 h); 0, the default, stores none. */
  show_visitor_ip: Generated<number>;
  /** The IANA time zone whose days and hours the account's reports count in; `UTC` by default. */
  time_zone: Generated<string>;
  created_at: number;
  terminated_at: number | null;
  purge_after_at: number | null;
}

/** A person who answers conversations; email and name are sealed with its own key, the email indexed for login. */
export interface OperatorsTable {
  id: string;
  account_id: string;
  email_index: string;
  email_sealed: Buffer;
  display_name_sealed: Buffer;
  role: 'owner' | 'admin' | 'operator';
  password_hash: string;
  totp_secret_sealed: Buffer | null;
  totp_enabled: number;
  /** The TOTP time step of the last code used: a code works once. */
  totp_last_step: number | null;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

/** A logged-in operator's session; `id` is the SHA-256 of the token, which only the cookie holds. */
export interface SessionsTable {
  id: string;
  account_id: string;
  operator_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** An account's API token: only the SHA-256 of its secret is stored; it acts with the role of `created_by`. */
export interface ApiTokensTable {
  id: string;
  account_id: string;
  created_by: string | null;
  name: string;
  token_hash: string;
  scope: 'read' | 'write';
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

/** A chat widget of an account; `public_key` is its unique public identifier, `settings` non-personal JSON. */
export interface WidgetsTable {
  id: string;
  account_id: string;
  public_key: string;
  name: string;
  settings: string;
  created_at: number;
  updated_at: number;
  /** When its deletion was asked for: it serves and shows no more, and the delete-widget job removes the row. */
  deleted_at: number | null;
}

/** An account's reusable reply text, not personal data; `shortcut` (without "/") is unique in the account. */
export interface CannedResponsesTable {
  id: string;
  account_id: string;
  shortcut: string;
  title: string;
  body: string;
  /** The operator who wrote it; NULL when an API token did, or once that operator is deleted. */
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** A pseudonymous browser that opened a widget: an id and when it was seen, nothing else. */
export interface VisitorsTable {
  id: string;
  account_id: string;
  widget_id: string;
  created_at: number;
  last_seen_at: number;
}

/** A known person an account talks to; every personal field is sealed with the contact's key. */
export interface ContactsTable {
  id: string;
  account_id: string;
  name_sealed: Buffer | null;
  email_sealed: Buffer | null;
  email_index: string | null;
  phone_sealed: Buffer | null;
  notes_sealed: Buffer | null;
  created_at: number;
  updated_at: number;
}

/** A conversation on a widget; `last_seq` is the `seq` of its newest message. */
export interface ConversationsTable {
  id: string;
  account_id: string;
  widget_id: string;
  visitor_id: string | null;
  contact_id: string | null;
  operator_id: string | null;
  status: 'waiting' | 'open' | 'closed';
  visitor_email_sealed: Buffer | null;
  visitor_ip_sealed: Buffer | null;
  visitor_ip_expires_at: number | null;
  rating: number | null;
  rating_comment_sealed: Buffer | null;
  last_seq: number;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  /** When an operator first answered, for the first-response time of the reports. */
  first_response_at: number | null;
  /** `offline_message`: left while no operator was available; it waits in the inbox, never routed. */
  origin: Generated<'chat' | 'offline_message'>;
  /** SHA-256 (hex) of the ref the window started the conversation under: a repeated start finds it. */
  start_ref_digest: Generated<string | null>;
  /** Counts the changes of `status` and `operator_id`: the version their events carry. */
  state_version: Generated<number>;
  /** The version of the privacy notice the visitor consented to, when they did; NULL without consent. */
  consent_version: Generated<string | null>;
  /** When the server received that consent; NULL without consent. */
  consent_at: Generated<number | null>;
  /** Where the visitor was when they started (VisitorContext as JSON), sealed; NULL when not told. */
  visitor_context_sealed: Generated<Buffer | null>;
}

/** An operator's chosen availability and capacity (open conversations routed to them at most). */
export interface OperatorPresenceTable {
  operator_id: string;
  account_id: string;
  status: 'online' | 'away' | 'offline';
  capacity: number;
  /** When routing last gave the operator a conversation: the round robin among equals. */
  last_assigned_at: number | null;
  /** When the operator's last socket went away; NULL while one is open. */
  disconnected_at: number | null;
  updated_at: number;
}

/** An operator socket open on some node; `seen_at` is refreshed by that node, so a dead node's rows go stale. */
export interface OperatorSocketsTable {
  id: string;
  account_id: string;
  operator_id: string;
  node_id: string;
  connected_at: number;
  seen_at: number;
}

/** One message of a conversation; `seq` orders it there, `client_message_id` makes a resend a no-op. */
export interface MessagesTable {
  id: string;
  account_id: string;
  conversation_id: string;
  seq: number;
  client_message_id: string;
  author_kind: 'visitor' | 'operator' | 'system';
  operator_id: string | null;
  kind: 'text' | 'note';
  body_sealed: Buffer;
  created_at: number;
  /**
   * The message's distinct search tokens (SEARCH_TOKEN_BYTES each, concatenated): empty when it has
   * no word, NULL when it was never indexed (plauder search reindex fills it).
   */
  search_tokens: Buffer | null;
}

/** A file sent in a conversation; its content is sealed with the same key in the file store, at `storage_key`. */
export interface AttachmentsTable {
  id: string;
  account_id: string;
  conversation_id: string;
  message_id: string | null;
  file_name_sealed: Buffer;
  content_type: string;
  size_bytes: number;
  storage_key: string;
  created_at: number;
}

/**
 * The search index: one row per distinct word of a conversation's messages (bodies, notes, file
 * names), the word as a blind index (HMAC-SHA-256 under the account's search key, cut to 16 bytes).
 * Written in the message's transaction; deleted with the conversation, and a word with the last
 * message of the conversation that held it. Which message holds a word: `messages.search_tokens`.
 */
export interface ConversationTokensTable {
  conversation_id: string;
  token: Buffer;
}

/** Kinds of keys: `installation` keys serve installation-wide blind indexes and are wrapped by the master key. */
export type KeyKind = 'installation' | 'account' | 'operator' | 'contact' | 'conversation';

/** One data key, wrapped by its parent; destroying it makes everything sealed with it unreadable. */
export interface KeyringTable {
  id: string;
  account_id: string | null;
  kind: KeyKind;
  subject_id: string;
  /**
   * The id of the key that wraps this one: a master key id (a UUID derived from the master key by HMAC,
   * see crypto/master-key) or the id of an account key.
   */
  wrapped_by: string;
  /** NULL once destroyed: the row stays as a tombstone so reads fail with a clear error. */
  wrapped_key: Buffer | null;
  created_at: number;
  destroyed_at: number | null;
}

/** Privileged actions: who did what to which ids, and how many rows — never content. */
export interface AuditLogTable {
  id: Generated<number>;
  account_id: string | null;
  actor_kind: 'operator' | 'api_token' | 'system' | 'cli' | 'visitor';
  actor_id: string | null;
  action: string;
  target_kind: string | null;
  /** JSON array of ids, never content. */
  target_ids: string;
  count: number | null;
  created_at: number;
}

/**
 * Daily sums of an account's metrics, kept for reports when the transcripts they were counted from
 * expire. Besides the key, a count column per metric of storage/rollup-metrics.ts (NULL for zero),
 * read and written by that module's column names, which this type does not list.
 */
export interface RollupDaysTable {
  account_id: string;
  /** The local day, `YYYY-MM-DD`, in the account's time zone as it was when counted. */
  day: string;
  /** '' for counts of no widget. */
  widget_id: string;
  /** '' for counts of no operator. */
  operator_id: string;
}

/** The counts of rollup_days per UTC quarter hour, from which the days can be recounted. */
export interface RollupQuartersTable extends RollupDaysTable {
  /** The UTC quarter hour (milliseconds since the epoch / 900,000); -1 for a day counted before. */
  quarter: number;
}

/** The database-backed job queue; a worker holds a job (`locked_by`, `locked_until`) while it runs it. */
export interface JobsTable {
  id: string;
  name: string;
  payload: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  attempts: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
  /** The account the job works for; NULL for installation-wide sweeps. */
  account_id: Generated<string | null>;
  /** Items done so far, carried over when a killed run is resumed. */
  progress_done: Generated<number>;
  progress_total: Generated<number | null>;
  /** What `progress_done` counts, such as "conversations". */
  progress_unit: Generated<string | null>;
  /** Where a killed run resumes (the job's own JSON), saved with each batch. */
  cursor: Generated<string | null>;
  /** The summary of a finished run as a JSON object of counts; never content. */
  result: Generated<string | null>;
  cancel_requested_at: Generated<number | null>;
  started_at: Generated<number | null>;
  /** `name@slot` of a scheduled run: unique, so every node may enqueue it and one row results. */
  schedule_key: Generated<string | null>;
}

/** A record that a subject was erased — which one, when and why — kept as long as the installation. */
export interface ErasureRecordsTable {
  id: string;
  account_id: string;
  subject_kind: 'account' | 'operator' | 'contact' | 'conversation' | 'message';
  subject_id: string;
  erased_at: number;
  reason: string;
}

/**
 * A pending invitation of a colleague: the invitee's email sealed with the account key and indexed as
 * operators.email_index is; only the SHA-256 of the link's token. Deleted when used, revoked or expired.
 */
export interface OperatorInvitationsTable {
  id: string;
  account_id: string;
  email_sealed: Buffer;
  email_index: string;
  role: 'owner' | 'admin' | 'operator';
  token_hash: string;
  /** The operator who sent it; null when an API token or the command line did. */
  created_by: string | null;
  created_at: number;
  expires_at: number;
}

/** An `accounts` row as selected. */
export type AccountRow = Selectable<AccountsTable>;
/** An `operators` row as selected; its sealed fields are still sealed. */
export type OperatorRow = Selectable<OperatorsTable>;
/** A `contacts` row as selected; its sealed fields are still sealed. */
export type ContactRow = Selectable<ContactsTable>;
/** A `conversations` row as selected; its sealed fields are still sealed. */
export type ConversationRow = Selectable<ConversationsTable>;
/** A `messages` row as selected; the body is still sealed. */
export type MessageRow = Selectable<MessagesTable>;
/** A `keyring` row as selected; the key is still wrapped. */
export type KeyringRow = Selectable<KeyringTable>;
/** An `audit_log` row to insert; the database assigns its id. */
export type NewAuditEntry = Insertable<AuditLogTable>;

/** A plan ("package") of the installation and the optional functions it includes. */
export interface PlansTable {
  name: string;
  /** A JSON array of optional function names (`email`, `webhooks`, `translation`). */
  functions: string;
  created_at: number;
  updated_at: number;
}

/** An optional function an account turned on; it runs only while the account's plan includes it. */
export interface AccountFunctionsTable {
  account_id: string;
  function: 'email' | 'webhooks' | 'translation';
  /** The operator who turned it on; null for an API token or the command line. */
  enabled_by: string | null;
  enabled_at: number;
}

/** Outbound calls the egress guard refused, counted per account, UTC day, function and host. */
export interface EgressRefusalsTable {
  account_id: string;
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  function: string;
  host: string;
  count: number;
  last_at: number;
}

/** An account's own webhook URL and the events it takes; its signing secret is derived, never stored. */
export interface WebhookEndpointsTable {
  id: string;
  account_id: string;
  url: string;
  /** A JSON array of event names (domain/deliveries/webhook-events.ts). */
  events: string;
  /** 1 while it takes events; 0 while paused. */
  enabled: number;
  /** Which derivation of the signing secret is current; a new secret is the next version. */
  secret_version: number;
  /** The operator who added it; null for an API token or the command line. */
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** One email or webhook call to make, by reference: the delivery log. */
export interface DeliveriesTable {
  id: string;
  account_id: string;
  function: 'email' | 'webhooks';
  event: string;
  endpoint_id: string | null;
  conversation_id: string | null;
  message_id: string | null;
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  /** The HTTP status or SMTP reply code of the last attempt, when there was one. */
  last_code: number | null;
  /** Why the last attempt failed or the delivery was cancelled: never content. */
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}
