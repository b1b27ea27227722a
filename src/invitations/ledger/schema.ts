import type { Generated } from 'kysely';

/**
 * The ledger's tables as Kysely sees them. Times are milliseconds since the epoch (int8 in PostgreSQL,
 * read back as numbers); flags are 0/1 integers, which both stores read the same way.
 */
export interface RequestsTable {
  id: Generated<number>;
  /** The reference people see in Slack (`R7KQ2MX`). */
  ref: string;
  team_id: string | null;
  user_id: string;
  channel_id: string;
  /** Where the command can still be answered for 30 minutes; cleared once the request is delivered. */
  response_url: string | null;
  source: string;
  service: string;
  workspace_id: string;
  workspace_title: string | null;
  role: string | null;
  subject: string | null;
  message: string | null;
  message_length: number;
  again: number;
  status: string;
  created_at: number;
  /** Bumped whenever something people see changes; delivery catches up with it. */
  version: number;
  delivered_version: number;
  summary_channel: string | null;
  summary_ts: string | null;
  summary_via: string | null;
  /** When a process set out to post the summary and has not yet heard back from Slack. */
  summary_posting_at: number | null;
  summary_reposted: Generated<number>;
  last_update_at: number | null;
  /** When delivery should next look at this request; null when there is nothing to deliver. */
  delivery_due_at: number | null;
  delivery_owner: string | null;
  delivery_lease_until: number | null;
  delivery_failures: number;
  finished_at: number | null;
  delivered_at: number | null;
  /** Why approvers must decide first (`external`, `client`, `all`); null when no approval is needed. */
  approval_reason: string | null;
  approval_expires_at: number | null;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  /** When the requester and the approvers were told of the decision. */
  decision_announced_at: number | null;
  /** `linked` or `shared` when linking is configured; null when every request uses the shared tokens. */
  identity_kind: string | null;
  /** The account link a `linked` request is sent with (account_links.id). */
  identity_link_id: number | null;
  /** The service's own id of the person the request is sent as: for the audit trail. */
  identity_user_id: string | null;
  identity_name: string | null;
  /** Set while the request waits (status `awaiting_link`) for its owner to reconnect their account. */
  awaiting_link_since: number | null;
}

export interface InviteesTable {
  id: Generated<number>;
  request_id: number;
  position: number;
  email: string;
  /** The address in lower case: the duplicate guard's key within a service and workspace. */
  email_key: string;
  full_name: string | null;
  state: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  upstream_status: number | null;
  upstream_code: string | null;
  upstream_message: string | null;
  error_kind: string | null;
  error_reason: string | null;
  retry_after_ms: number | null;
  invitation_id: string | null;
  previous_user_id: string | null;
  previous_at: number | null;
  /** When its failure was posted in the summary's thread. */
  reported_at: number | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  resolved_at: number | null;
  /** For `skipped`: `duplicate` (invited there a short while ago) or `member` (already on the project). */
  skip_reason: string | null;
  /** For a member: the team they are on (`maven` or `buyer`). */
  member_role: string | null;
  /** When the follow-up saw this invitee on the project. */
  joined_at: number | null;
  /** When the follow-up looks for this invitee on the project next; null when it no longer does. */
  followup_due_at: number | null;
  followup_step: Generated<number>;
  /** 1: retried after an unknown outcome, so sent again only if the service shows the person is not on the project. */
  check_first: Generated<number>;
}

/** Where approvers were asked about a request. */
export interface ApprovalMessagesTable {
  id: Generated<number>;
  request_id: number;
  /** Whom the question was for: an approver's user id, or the approval channel. */
  recipient: string;
  /** Where it was posted (a direct message has a channel id of its own). */
  channel: string;
  ts: string;
  created_at: number;
}

export interface LedgerDatabase {
  requests: RequestsTable;
  invitees: InviteesTable;
  approval_messages: ApprovalMessagesTable;
}
