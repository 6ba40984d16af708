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
  visitors: VisitorsTable;
  contacts: ContactsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  attachments: AttachmentsTable;
  keyring: KeyringTable;
  audit_log: AuditLogTable;
  rollups: RollupsTable;
  jobs: JobsTable;
  erasure_records: ErasureRecordsTable;
}

/** A database handle or an open transaction: every repository function takes either. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export interface MetaTable {
  key: string;
  value: string;
}

export interface AccountsTable {
  id: string;
  name: string;
  plan: string;
  status: 'active' | 'terminated';
  retention_months: number;
  created_at: number;
  terminated_at: number | null;
  purge_after_at: number | null;
}

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

export interface SessionsTable {
  id: string;
  account_id: string;
  operator_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

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

export interface WidgetsTable {
  id: string;
  account_id: string;
  public_key: string;
  name: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface VisitorsTable {
  id: string;
  account_id: string;
  widget_id: string;
  created_at: number;
  last_seen_at: number;
}

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
}

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
}

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

/** Kinds of keys: `installation` keys serve installation-wide blind indexes and are wrapped by the master key. */
export type KeyKind = 'installation' | 'account' | 'operator' | 'contact' | 'conversation';

export interface KeyringTable {
  id: string;
  account_id: string | null;
  kind: KeyKind;
  subject_id: string;
  /** The id of the key that wraps this one: a master key id (`mk_…`) or an account key id. */
  wrapped_by: string;
  /** NULL once destroyed: the row stays as a tombstone so reads fail with a clear error. */
  wrapped_key: Buffer | null;
  created_at: number;
  destroyed_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  account_id: string | null;
  actor_kind: 'operator' | 'api_token' | 'system' | 'cli';
  actor_id: string | null;
  action: string;
  target_kind: string | null;
  /** JSON array of ids, never content. */
  target_ids: string;
  count: number | null;
  created_at: number;
}

export interface RollupsTable {
  account_id: string;
  day: string;
  /** '' for "all widgets" rows. */
  widget_id: string;
  /** '' for rows not about one operator. */
  operator_id: string;
  metric: string;
  value: number;
}

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
}

export interface ErasureRecordsTable {
  id: string;
  account_id: string;
  subject_kind: 'account' | 'operator' | 'contact' | 'conversation' | 'message';
  subject_id: string;
  erased_at: number;
  reason: string;
}

export type AccountRow = Selectable<AccountsTable>;
export type OperatorRow = Selectable<OperatorsTable>;
export type ContactRow = Selectable<ContactsTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type KeyringRow = Selectable<KeyringTable>;
export type NewAuditEntry = Insertable<AuditLogTable>;
