/**
 * Every environment variable the bot reads — the one list of them.
 *
 * Adding a variable is a one-place change here: the env schema in config.ts is built from this list, so
 * parseConfig sees the new value at once (read it there). test/config-variables.test.ts then asks for the
 * matching row in README.md's Configuration table (it prints the row) and the matching line in
 * .env.example, and checks that a variable marked secret is scrubbed by secretValues in config.ts.
 */

/** When a variable must be set, as README's Required column says it. */
export type Requirement = 'yes' | 'no' | 'HTTP mode' | 'Socket Mode' | 'for Kantata' | 'one Huddle form' | 'for linking';

/** The sections of .env.example, each opened by a `# --- <section> …` line. */
export const ENV_EXAMPLE_SECTIONS = [
  'Slack',
  'Kantata OX',
  'Huddle',
  'Account linking',
  'Upstream HTTP timeouts',
  'Workspace search',
  'Logging',
  'Storage',
  'Guard rails',
  'Approvals',
  'Follow-up',
] as const;

export type EnvExampleSection = (typeof ENV_EXAMPLE_SECTIONS)[number];

/** A default that is not a value one could type, such as "Slack's". */
export interface DescribedDefault {
  readonly description: string;
}

export interface ConfigVariable {
  readonly name: string;
  readonly required: Requirement;
  /** What applies when the variable is unset: a value (README shows it as code) or a description. */
  readonly default?: string | DescribedDefault;
  /** Scrubbed from every log line and text (see secretValues in config.ts). */
  readonly secret: boolean;
  /** README's Meaning column, word for word. */
  readonly meaning: string;
  readonly envExample: {
    readonly section: EnvExampleSection;
    /** Set (`NAME=…`) rather than commented out (`# NAME=…`): what a new installation fills in. */
    readonly live?: true;
    /** The value after `=`; the default value when absent, else nothing. */
    readonly value?: string;
  };
}

const VARIABLES = [
  {
    name: 'SLACK_BOT_TOKEN',
    required: 'yes',
    secret: true,
    meaning: 'Bot token, `xoxb-…`',
    envExample: { section: 'Slack', live: true },
  },
  {
    name: 'SLACK_APP_TOKEN',
    required: 'Socket Mode',
    secret: true,
    meaning: 'App-level token, `xapp-…`; setting it switches Socket Mode on',
    envExample: { section: 'Slack', live: true },
  },
  {
    name: 'SLACK_SIGNING_SECRET',
    required: 'HTTP mode',
    secret: true,
    meaning: 'Verifies every request from Slack',
    envExample: { section: 'Slack' },
  },
  {
    name: 'SLACK_API_URL',
    required: 'no',
    default: { description: "Slack's" },
    secret: false,
    meaning: 'Web API base URL (GovSlack: `https://slack-gov.com/api/`)',
    envExample: { section: 'Slack', value: 'https://slack.com/api/' },
  },
  {
    name: 'PORT',
    required: 'no',
    default: '3000',
    secret: false,
    meaning: 'HTTP port: `/slack/events` (HTTP mode), `/healthz`, `/readyz`, `/metrics` and, with linking, `/oauth/…`',
    envExample: { section: 'Slack' },
  },
  {
    name: 'KANTATA_API_TOKEN',
    required: 'for Kantata',
    secret: true,
    meaning: 'Enables Kantata OX',
    envExample: { section: 'Kantata OX', live: true },
  },
  {
    name: 'KANTATA_API_URL',
    required: 'no',
    default: 'https://api.mavenlink.com/api/v1',
    secret: false,
    meaning: 'Kantata OX API base URL',
    envExample: { section: 'Kantata OX' },
  },
  {
    name: 'KANTATA_WEB_URL',
    required: 'no',
    default: 'https://app.mavenlink.com',
    secret: false,
    meaning: 'Where outcome messages link a project: `{KANTATA_WEB_URL}/workspaces/{id}`',
    envExample: { section: 'Kantata OX' },
  },
  {
    name: 'HUDDLE_API_TOKEN',
    required: 'one Huddle form',
    secret: true,
    meaning: 'Static OAuth2 bearer token',
    envExample: { section: 'Huddle', live: true },
  },
  {
    name: 'HUDDLE_CLIENT_ID',
    required: 'one Huddle form',
    secret: false,
    meaning: 'Client-credentials grant, with `HUDDLE_CLIENT_SECRET`; token renewed before it expires and once after a 401. With `PUBLIC_URL`, also the application people link their own Huddle accounts through (set alone: linking only)',
    envExample: { section: 'Huddle', live: true },
  },
  {
    name: 'HUDDLE_CLIENT_SECRET',
    required: 'one Huddle form',
    secret: true,
    meaning: 'The client secret of that grant',
    envExample: { section: 'Huddle', live: true },
  },
  {
    name: 'HUDDLE_TOKEN_URL',
    required: 'no',
    default: 'https://login.huddle.net/token',
    secret: false,
    meaning: 'Where client-credential tokens come from',
    envExample: { section: 'Huddle' },
  },
  {
    name: 'HUDDLE_USERNAME',
    required: 'one Huddle form',
    secret: false,
    meaning: 'HTTP Basic, with `HUDDLE_PASSWORD`; never retried after a 401',
    envExample: { section: 'Huddle', live: true },
  },
  {
    name: 'HUDDLE_PASSWORD',
    required: 'one Huddle form',
    secret: true,
    meaning: 'The password of that account',
    envExample: { section: 'Huddle', live: true },
  },
  {
    name: 'HUDDLE_API_URL',
    required: 'no',
    default: 'https://api.huddle.net',
    secret: false,
    meaning: 'Huddle API base URL (FedRAMP tenants use a `.com` host)',
    envExample: { section: 'Huddle' },
  },
  {
    name: 'PUBLIC_URL',
    required: 'for linking',
    secret: false,
    meaning: 'Where people\'s browsers reach the bot (`https://…`; `http://` only for localhost): the OAuth routes `/oauth/{kantata,huddle}/{start,callback}` are served there, on `PORT`',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'KANTATA_CLIENT_ID',
    required: 'for linking',
    secret: false,
    meaning: 'Kantata OX OAuth application for linking people\'s own accounts, with `KANTATA_CLIENT_SECRET` and `PUBLIC_URL`',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'KANTATA_CLIENT_SECRET',
    required: 'for linking',
    secret: true,
    meaning: 'The client secret of that application',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'KANTATA_OAUTH_URL',
    required: 'no',
    default: 'https://app.mavenlink.com',
    secret: false,
    meaning: 'Kantata OX login host: `/oauth/authorize` and `/oauth/token` below it',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'HUDDLE_LOGIN_URL',
    required: 'no',
    default: 'https://login.huddle.net',
    secret: false,
    meaning: 'Huddle login host for linking (`HUDDLE_CLIENT_ID` with `PUBLIC_URL`): `/request` and `/token` below it',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'TOKEN_ENCRYPTION_KEY',
    required: 'for linking',
    secret: true,
    meaning: 'Encrypts people\'s tokens (AES-256-GCM): `id:key` pairs, comma-separated, each key 32 random bytes in base64; the first encrypts, the others still decrypt (rotation)',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'INVITE_REQUIRE_LINKED_ACCOUNT',
    required: 'no',
    default: 'false',
    secret: false,
    meaning: 'With linking on, a person must connect their own account; otherwise the shared token is used for people who have not',
    envExample: { section: 'Account linking' },
  },
  {
    name: 'UPSTREAM_CONNECT_TIMEOUT_MS',
    required: 'no',
    default: '5000',
    secret: false,
    meaning: 'Time to connect to Kantata/Huddle (nothing sent yet: safe to retry)',
    envExample: { section: 'Upstream HTTP timeouts' },
  },
  {
    name: 'UPSTREAM_RESPONSE_TIMEOUT_MS',
    required: 'no',
    default: '30000',
    secret: false,
    meaning: 'Time to wait for an answer (the request may have been processed: never retried)',
    envExample: { section: 'Upstream HTTP timeouts' },
  },
  {
    name: 'WORKSPACE_SEARCH_TIMEOUT_MS',
    required: 'no',
    default: '2000',
    secret: false,
    meaning: 'Longest wait for a workspace search or title (at most 2500: Slack drops a menu answer after 3 s)',
    envExample: { section: 'Workspace search' },
  },
  {
    name: 'WORKSPACE_SEARCH_CACHE_SECONDS',
    required: 'no',
    default: '60',
    secret: false,
    meaning: 'How long a search result is reused for the same person and text (0 to 3600)',
    envExample: { section: 'Workspace search' },
  },
  {
    name: 'LOG_LEVEL',
    required: 'no',
    default: 'info',
    secret: false,
    meaning: '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`',
    envExample: { section: 'Logging' },
  },
  {
    name: 'DATA_DIR',
    required: 'no',
    default: './data',
    secret: false,
    meaning: 'Where the SQLite ledger (`ledger.sqlite`) is kept when `DATABASE_URL` is unset; one bot process per directory',
    envExample: { section: 'Storage' },
  },
  {
    name: 'DATABASE_URL',
    required: 'no',
    secret: true,
    meaning: '`postgres://user:password@host:5432/db`: keep the ledger in PostgreSQL instead, shared by any number of replicas',
    envExample: { section: 'Storage' },
  },
  {
    name: 'INVITE_HISTORY_DAYS',
    required: 'no',
    default: '90',
    secret: false,
    meaning: 'Requests and their addresses older than this are deleted (addresses are personal data)',
    envExample: { section: 'Storage' },
  },
  {
    name: 'INVITE_ALLOWED_USERS',
    required: 'no',
    secret: false,
    meaning: 'Slack user ids who may invite, comma-separated',
    envExample: { section: 'Guard rails', value: 'U0123ABC,U0456DEF' },
  },
  {
    name: 'INVITE_ALLOWED_USERGROUPS',
    required: 'no',
    secret: false,
    meaning: 'Slack user group ids whose members may invite (membership cached 60 s)',
    envExample: { section: 'Guard rails', value: 'S0123ABC' },
  },
  {
    name: 'INVITE_ADMINS',
    required: 'no',
    secret: false,
    meaning: 'Slack user ids who see everyone\'s requests, the checks and what is pending in the bot\'s Home tab, and may retry anyone\'s failed invitations from the thread (everyone may retry their own)',
    envExample: { section: 'Guard rails', value: 'U0123ABC' },
  },
  {
    name: 'INVITE_CHANNEL_WORKSPACES',
    required: 'no',
    secret: false,
    meaning: 'Default workspace per channel: `C0123=kantata:12345,C0456=huddle:89178`',
    envExample: { section: 'Guard rails', value: 'C0123=kantata:12345,C0456=huddle:89178' },
  },
  {
    name: 'INVITE_RESTRICT_TO_CHANNEL_WORKSPACE',
    required: 'no',
    default: 'false',
    secret: false,
    meaning: 'A bound channel may invite only to its own workspace',
    envExample: { section: 'Guard rails' },
  },
  {
    name: 'INVITE_INTERNAL_DOMAINS',
    required: 'no',
    secret: false,
    meaning: 'Kantata `maven` (team member) invitations only to these domains and their subdomains',
    envExample: { section: 'Guard rails', value: 'acme.com,acme.co.uk' },
  },
  {
    name: 'INVITE_BLOCKED_DOMAINS',
    required: 'no',
    secret: false,
    meaning: 'Never invited, whatever the role',
    envExample: { section: 'Guard rails' },
  },
  {
    name: 'INVITE_MAX_PER_REQUEST',
    required: 'no',
    default: '50',
    secret: false,
    meaning: 'People per request (at most 1000)',
    envExample: { section: 'Guard rails' },
  },
  {
    name: 'INVITE_USER_LIMIT',
    required: 'no',
    default: '30',
    secret: false,
    meaning: 'Invitations per person in any sliding window of `INVITE_USER_WINDOW_MINUTES`',
    envExample: { section: 'Guard rails' },
  },
  {
    name: 'INVITE_USER_WINDOW_MINUTES',
    required: 'no',
    default: '10',
    secret: false,
    meaning: 'The length of that window',
    envExample: { section: 'Guard rails' },
  },
  {
    name: 'INVITE_DUPLICATE_WINDOW_MINUTES',
    required: 'no',
    default: '10',
    secret: false,
    meaning: 'The same address to the same workspace again within this window is skipped',
    envExample: { section: 'Guard rails' },
  },
  {
    name: 'INVITE_APPROVAL_REQUIRED',
    required: 'no',
    default: 'none',
    secret: false,
    meaning: 'Which requests an approver must let through first: `none`, `external` (an address outside `INVITE_INTERNAL_DOMAINS`), `client` (Kantata OX buyer invitations) or `all`',
    envExample: { section: 'Approvals' },
  },
  {
    name: 'INVITE_APPROVERS',
    required: 'no',
    secret: false,
    meaning: 'Slack user ids and user group ids who decide (required unless approvals are `none`); nobody approves their own request',
    envExample: { section: 'Approvals', value: 'U0123ABC,S0456DEF' },
  },
  {
    name: 'INVITE_APPROVAL_CHANNEL',
    required: 'no',
    default: { description: 'a direct message to each approver' },
    secret: false,
    meaning: 'Channel id where approvers are asked, instead of direct messages (invite the bot there)',
    envExample: { section: 'Approvals', value: 'C0789GHI' },
  },
  {
    name: 'INVITE_APPROVAL_EXPIRY_HOURS',
    required: 'no',
    default: '72',
    secret: false,
    meaning: 'A request nobody decided on within this many hours expires unsent, and the requester is told',
    envExample: { section: 'Approvals' },
  },
  {
    name: 'INVITE_FOLLOWUP_CALLS_PER_HOUR',
    required: 'no',
    default: '60',
    secret: false,
    meaning: 'Kantata projects looked at per hour, all together, to see who joined after an invitation (one `GET /participations` lookup each; 0 turns this off; at most 3600)',
    envExample: { section: 'Follow-up' },
  },
] as const satisfies readonly ConfigVariable[];

export type ConfigVariableName = (typeof VARIABLES)[number]['name'];

export const CONFIG_VARIABLES: readonly (ConfigVariable & { readonly name: ConfigVariableName })[] = VARIABLES;
