import type { CreateTableBuilder, Kysely, Migration } from 'kysely';

export type StoreKind = 'sqlite' | 'postgres';

type Column = readonly [name: string, type: 'text' | 'integer' | 'bigint', required: boolean];

const REQUEST_COLUMNS: readonly Column[] = [
  ['ref', 'text', true],
  ['team_id', 'text', false],
  ['user_id', 'text', true],
  ['channel_id', 'text', true],
  ['response_url', 'text', false],
  ['source', 'text', true],
  ['service', 'text', true],
  ['workspace_id', 'text', true],
  ['workspace_title', 'text', false],
  ['role', 'text', false],
  ['subject', 'text', false],
  ['message', 'text', false],
  ['message_length', 'integer', true],
  ['again', 'integer', true],
  ['status', 'text', true],
  ['created_at', 'bigint', true],
  ['version', 'integer', true],
  ['delivered_version', 'integer', true],
  ['summary_channel', 'text', false],
  ['summary_ts', 'text', false],
  ['summary_via', 'text', false],
  ['last_update_at', 'bigint', false],
  ['delivery_due_at', 'bigint', false],
  ['delivery_owner', 'text', false],
  ['delivery_lease_until', 'bigint', false],
  ['delivery_failures', 'integer', true],
  ['finished_at', 'bigint', false],
  ['delivered_at', 'bigint', false],
];

const INVITEE_COLUMNS: readonly Column[] = [
  ['request_id', 'integer', true],
  ['position', 'integer', true],
  ['email', 'text', true],
  ['email_key', 'text', true],
  ['full_name', 'text', false],
  ['state', 'text', true],
  ['attempts', 'integer', true],
  ['lease_owner', 'text', false],
  ['lease_until', 'bigint', false],
  ['upstream_status', 'integer', false],
  ['upstream_code', 'text', false],
  ['upstream_message', 'text', false],
  ['error_kind', 'text', false],
  ['error_reason', 'text', false],
  ['retry_after_ms', 'bigint', false],
  ['invitation_id', 'text', false],
  ['previous_user_id', 'text', false],
  ['previous_at', 'bigint', false],
  ['reported_at', 'bigint', false],
  ['created_at', 'bigint', true],
  ['updated_at', 'bigint', true],
  ['sent_at', 'bigint', false],
  ['resolved_at', 'bigint', false],
];

/** Linked accounts (issue 12): whose account of which service, and its tokens, only ever encrypted. */
const ACCOUNT_LINK_COLUMNS: readonly Column[] = [
  ['team_id', 'text', true],
  ['user_id', 'text', true],
  ['service', 'text', true],
  ['status', 'text', true],
  ['service_user_id', 'text', true],
  ['service_user_name', 'text', false],
  ['key_id', 'text', true],
  ['access_token', 'text', true],
  ['refresh_token', 'text', false],
  ['expires_at', 'bigint', false],
  ['token_version', 'integer', true],
  ['created_at', 'bigint', true],
  ['updated_at', 'bigint', true],
  ['broken_at', 'bigint', false],
  ['broken_reason', 'text', false],
];

/** Single-use links that start linking, and the sign-ins they started; nonces and states stored hashed. */
const LINK_NONCE_COLUMNS: readonly Column[] = [
  ['nonce_hash', 'text', true],
  ['team_id', 'text', true],
  ['user_id', 'text', true],
  ['service', 'text', true],
  ['pending', 'text', false],
  ['created_at', 'bigint', true],
  ['expires_at', 'bigint', true],
  ['started_at', 'bigint', false],
  ['state_hash', 'text', false],
  ['browser_hash', 'text', false],
  ['completed_at', 'bigint', false],
];

/** Which identity a request is sent with, and since when it waits for its owner to reconnect. */
const REQUEST_IDENTITY_COLUMNS: readonly Column[] = [
  ['identity_kind', 'text', false],
  ['identity_link_id', 'integer', false],
  ['identity_user_id', 'text', false],
  ['identity_name', 'text', false],
  ['awaiting_link_since', 'bigint', false],
];

function withColumns<T extends string>(builder: CreateTableBuilder<T>, kind: StoreKind, columns: readonly Column[]): CreateTableBuilder<T> {
  // The only difference between the stores: how a table gets its own ids.
  let table =
    kind === 'postgres'
      ? builder.addColumn('id', 'serial', (column) => column.primaryKey())
      : builder.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement());
  for (const [name, type, required] of columns) table = table.addColumn(name, type, (column) => (required ? column.notNull() : column));
  return table;
}

/**
 * The ledger's schema, one versioned step at a time, the same for both stores. Applied at start-up by
 * Kysely's Migrator, which holds a lock while it runs, so replicas that start together never race. Never
 * edit a step that has shipped: add the next one.
 */
export function ledgerMigrations(kind: StoreKind): Record<string, Migration> {
  return {
    '0001_ledger': {
      async up(db: Kysely<unknown>) {
        await withColumns(db.schema.createTable('requests'), kind, REQUEST_COLUMNS).execute();
        await db.schema.createIndex('requests_ref').unique().on('requests').column('ref').execute();
        await db.schema.createIndex('requests_user_created').on('requests').columns(['user_id', 'created_at']).execute();
        await db.schema.createIndex('requests_delivery_due').on('requests').column('delivery_due_at').execute();
        await db.schema.createIndex('requests_created').on('requests').column('created_at').execute();

        await withColumns(db.schema.createTable('invitees'), kind, INVITEE_COLUMNS).execute();
        await db.schema.createIndex('invitees_request').on('invitees').columns(['request_id', 'position']).execute();
        await db.schema.createIndex('invitees_state').on('invitees').columns(['state', 'id']).execute();
        await db.schema.createIndex('invitees_email_key').on('invitees').columns(['email_key', 'created_at']).execute();
      },
    },
    '0003_approvals_and_follow_ups': {
      async up(db: Kysely<unknown>) {
        // Why an invitee was skipped (a recent duplicate, or already on the project), and what happened after.
        for (const [name, type] of [
          ['skip_reason', 'text'],
          ['member_role', 'text'],
          ['joined_at', 'bigint'],
          ['followup_due_at', 'bigint'],
        ] as const) {
          await db.schema.alterTable('invitees').addColumn(name, type).execute();
        }
        await db.schema.alterTable('invitees').addColumn('followup_step', 'integer', (column) => column.notNull().defaultTo(0)).execute();
        // Retried after an unknown outcome: sent again only if the service shows the person is not on the project.
        await db.schema.alterTable('invitees').addColumn('check_first', 'integer', (column) => column.notNull().defaultTo(0)).execute();
        await db.schema.createIndex('invitees_followup_due').on('invitees').column('followup_due_at').execute();
        // Approvals: why one is needed, until when, and who decided what.
        for (const [name, type] of [
          ['approval_reason', 'text'],
          ['approval_expires_at', 'bigint'],
          ['decided_by', 'text'],
          ['decided_at', 'bigint'],
          ['decision_reason', 'text'],
          ['decision_announced_at', 'bigint'],
          // Set just before the summary's first post, cleared once Slack has answered: set with no summary
          // recorded, the post may have reached Slack from a process that died before hearing back.
          ['summary_posting_at', 'bigint'],
        ] as const) {
          await db.schema.alterTable('requests').addColumn(name, type).execute();
        }
        // 1: the summary was posted by a process that found such a post unanswered, and says so.
        await db.schema.alterTable('requests').addColumn('summary_reposted', 'integer', (column) => column.notNull().defaultTo(0)).execute();
        await db.schema.createIndex('requests_status').on('requests').columns(['status', 'approval_expires_at']).execute();
        // Where approvers were asked, so every copy of the question can show the decision.
        await withColumns(db.schema.createTable('approval_messages'), kind, [
          ['request_id', 'integer', true],
          ['recipient', 'text', true],
          ['channel', 'text', true],
          ['ts', 'text', true],
          ['created_at', 'bigint', true],
        ]).execute();
        await db.schema.createIndex('approval_messages_request').on('approval_messages').column('request_id').execute();
      },
    },
    '0002_account_links': {
      async up(db: Kysely<unknown>) {
        await withColumns(db.schema.createTable('account_links'), kind, ACCOUNT_LINK_COLUMNS).execute();
        await db.schema.createIndex('account_links_person').unique().on('account_links').columns(['team_id', 'user_id', 'service']).execute();

        await withColumns(db.schema.createTable('link_nonces'), kind, LINK_NONCE_COLUMNS).execute();
        await db.schema.createIndex('link_nonces_nonce').unique().on('link_nonces').column('nonce_hash').execute();
        await db.schema.createIndex('link_nonces_state').unique().on('link_nonces').column('state_hash').execute();
        await db.schema.createIndex('link_nonces_expires').on('link_nonces').column('expires_at').execute();

        // One column per statement: SQLite adds columns one at a time.
        for (const [name, type] of REQUEST_IDENTITY_COLUMNS) await db.schema.alterTable('requests').addColumn(name, type).execute();
        await db.schema.createIndex('requests_awaiting_link').on('requests').columns(['status', 'user_id']).execute();
      },
    },
  };
}

