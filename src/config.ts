import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { CONFIG_VARIABLES, type ConfigVariableName } from './config-variables.js';

export const DEFAULT_KANTATA_API_URL = 'https://api.mavenlink.com/api/v1';
export const DEFAULT_HUDDLE_API_URL = 'https://api.huddle.net';
export const DEFAULT_HUDDLE_TOKEN_URL = 'https://login.huddle.net/token';
/** Where people open a Kantata project in a browser: `{webUrl}/workspaces/{id}`. */
export const DEFAULT_KANTATA_WEB_URL = 'https://app.mavenlink.com';
/** Kantata's login host: `/oauth/authorize` and `/oauth/token` are below it. */
export const DEFAULT_KANTATA_OAUTH_URL = 'https://app.mavenlink.com';
/** Huddle's login host: `/request` (authorize) and `/token` are below it. */
export const DEFAULT_HUDDLE_LOGIN_URL = 'https://login.huddle.net';

export interface KantataConfig {
  readonly apiUrl: string;
  /** The shared service token; absent when people can only use their own linked accounts. */
  readonly apiToken?: string;
  readonly webUrl: string;
}

/** How the form's workspace menu and inline names are looked up. */
export interface WorkspaceSearchConfig {
  /** Longest wait for a service; Slack drops an options answer after 3 s. */
  readonly timeoutMs: number;
  /** How long a result is reused for the same person and text. */
  readonly cacheTtlMs: number;
}

export type HuddleAuthConfig =
  | { readonly kind: 'bearer'; readonly token: string }
  | {
      readonly kind: 'client_credentials';
      readonly clientId: string;
      readonly clientSecret: string;
      readonly tokenUrl: string;
    }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

export interface HuddleConfig {
  readonly apiUrl: string;
  /** The shared credentials; absent when people can only use their own linked accounts. */
  readonly auth?: HuddleAuthConfig;
}

/** One key of TOKEN_ENCRYPTION_KEY: its id is stored beside each token it encrypted, so keys can rotate. */
export interface TokenKeyConfig {
  readonly id: string;
  /** 32 bytes, base64 as written. */
  readonly key: string;
}

/** An OAuth application through which people link their own account of one service. */
export interface LinkingClientConfig {
  readonly clientId: string;
  /** Huddle applications may be registered without one. */
  readonly clientSecret?: string;
  /** The service's login host (Kantata: `/oauth/authorize`, `/oauth/token`; Huddle: `/request`, `/token`). */
  readonly loginUrl: string;
}

/** People invite with their own Kantata OX or Huddle accounts (issue 12); absent: the shared tokens only. */
export interface IdentityConfig {
  /** Where people's browsers reach the bot, without a trailing slash. */
  readonly publicUrl: string;
  /** True: nobody is sent with a shared token for a service people can link. */
  readonly requireLinkedAccount: boolean;
  /** The first key encrypts; every key decrypts what it encrypted. */
  readonly tokenKeys: readonly TokenKeyConfig[];
  /** TOKEN_ENCRYPTION_KEY as written, for scrubbing. */
  readonly tokenKeysText: string;
  readonly kantata?: LinkingClientConfig;
  readonly huddle?: LinkingClientConfig;
}

export interface UpstreamHttpConfig {
  /** Time allowed to open a TCP/TLS connection; nothing has been sent when it runs out. */
  readonly connectTimeoutMs: number;
  /** Time allowed for response headers and between body chunks; the request may have been processed. */
  readonly responseTimeoutMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SlackConfig {
  readonly botToken: string;
  /** Required in HTTP mode, where every request is verified with it. */
  readonly signingSecret?: string;
  /** Set: Socket Mode. Unset: HTTP mode on `port`. */
  readonly appToken?: string;
  /** Web API base URL, for GovSlack or a test double; Slack's own when unset. */
  readonly apiUrl?: string;
  readonly port: number;
}

export interface ChannelWorkspace {
  readonly service: 'kantata' | 'huddle';
  readonly workspaceId: string;
}

/** Who may invite whom where: the guard rails an installation sets. */
export interface InvitePolicyConfig {
  /** Slack user ids allowed to invite; with allowedUsergroups empty too, any full member may. */
  readonly allowedUsers: readonly string[];
  readonly allowedUsergroups: readonly string[];
  /** Channel id → the workspace it invites to by default. */
  readonly channelWorkspaces: Readonly<Record<string, ChannelWorkspace>>;
  readonly restrictToChannelWorkspace: boolean;
  /** Kantata `maven` (provider team) invitations only to these domains, when any are set. */
  readonly internalDomains: readonly string[];
  readonly blockedDomains: readonly string[];
  readonly maxPerRequest: number;
  readonly userBudget: { readonly invitations: number; readonly windowMs: number };
  readonly duplicateWindowMs: number;
  readonly approval: ApprovalPolicyConfig;
}

/** Which requests wait for an approver, who approves, and where they are asked. */
export interface ApprovalPolicyConfig {
  /** `none`: nothing waits. */
  readonly required: 'none' | 'external' | 'client' | 'all';
  readonly approverUsers: readonly string[];
  readonly approverUsergroups: readonly string[];
  /** Asked in this channel; unset: a direct message to each approver. */
  readonly channel?: string;
  readonly expiryMs: number;
}

/** Where the ledger lives: a SQLite file (one process), or PostgreSQL (any number of replicas). */
export type StorageLocation = { readonly kind: 'sqlite'; readonly dataDir: string } | { readonly kind: 'postgres'; readonly url: string };

export type StorageConfig = StorageLocation & {
  /** History older than this is deleted: addresses are personal data. */
  readonly historyDays: number;
};

/** Looking for invited Kantata people on their projects afterwards, to show who joined. */
export interface FollowUpConfig {
  /** Participant lookups per sliding hour, all projects together; 0: no follow-up. */
  readonly callsPerHour: number;
}

export interface Config {
  readonly slack: SlackConfig;
  readonly storage: StorageConfig;
  readonly kantata?: KantataConfig;
  readonly huddle?: HuddleConfig;
  readonly identity?: IdentityConfig;
  /** Slack user ids who see everyone's requests, the checks and what is pending in the Home tab, and may retry anyone's failed invitations. */
  readonly admins: readonly string[];
  readonly upstreamHttp: UpstreamHttpConfig;
  readonly workspaceSearch: WorkspaceSearchConfig;
  readonly logLevel: LogLevel;
  readonly policy: InvitePolicyConfig;
  readonly followUp: FollowUpConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Blank values count as unset: a copied `.env.example` leaves many `NAME=` lines behind. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => {
    const trimmed = value?.trim();
    return trimmed ? trimmed : undefined;
  });

const HTTP_URL_PROBLEM = 'must be an http:// or https:// URL';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}

function positiveIntegerProblem(value: string): string | undefined {
  return /^\d{1,7}$/.test(value) && Number(value) > 0 ? undefined : 'must be a whole number of milliseconds above 0';
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** One entry per variable of CONFIG_VARIABLES: the list there is the only place names are written down. */
function envShape(): Record<ConfigVariableName, typeof optionalText> {
  return Object.fromEntries(CONFIG_VARIABLES.map((variable) => [variable.name, optionalText])) as Record<ConfigVariableName, typeof optionalText>;
}

const envSchema = z.object(envShape());

type ParsedEnv = z.infer<typeof envSchema>;

export interface ParseOptions {
  /**
   * False lets `npm run doctor` check Slack before any service is set up, as README's set-up order has it;
   * every other rule still applies. The bot itself always needs a service.
   */
  readonly serviceRequired?: boolean;
}

/**
 * Builds the one typed configuration object from environment variables.
 * Every problem names the variable and what is wrong with it, never the value it holds.
 */
export function parseConfig(env: Env, { serviceRequired = true }: ParseOptions = {}): Config {
  const values: ParsedEnv = envSchema.parse(env);
  const problems: string[] = [];

  const url = (name: keyof ParsedEnv, fallback: string): string => {
    const value = values[name] ?? fallback;
    if (!isHttpUrl(value)) problems.push(`${name} ${HTTP_URL_PROBLEM} without credentials in it`);
    return value.replace(/\/+$/, '');
  };
  const millis = (name: keyof ParsedEnv, fallback: number): number => {
    const value = values[name];
    if (value === undefined) return fallback;
    const problem = positiveIntegerProblem(value);
    if (problem) problems.push(`${name} ${problem}`);
    return Number(value);
  };

  const slack = parseSlack(values, problems);

  const identity = parseIdentity(values, problems, url);

  const kantataEnabled = values.KANTATA_API_TOKEN !== undefined || identity?.kantata !== undefined;
  const kantata: KantataConfig | undefined = kantataEnabled
    ? {
        ...(values.KANTATA_API_TOKEN ? { apiToken: values.KANTATA_API_TOKEN } : {}),
        apiUrl: url('KANTATA_API_URL', DEFAULT_KANTATA_API_URL),
        webUrl: url('KANTATA_WEB_URL', DEFAULT_KANTATA_WEB_URL),
      }
    : undefined;
  if (!kantata && values.KANTATA_API_URL) {
    problems.push('KANTATA_API_URL is set but KANTATA_API_TOKEN is not: set the token to enable Kantata OX');
  }

  const huddleAuth = parseHuddleAuth(values, problems, url, identity?.huddle !== undefined);
  const huddle: HuddleConfig | undefined =
    huddleAuth || identity?.huddle ? { ...(huddleAuth ? { auth: huddleAuth } : {}), apiUrl: url('HUDDLE_API_URL', DEFAULT_HUDDLE_API_URL) } : undefined;

  if (serviceRequired && !kantata && !huddle && problems.length === 0) {
    problems.push(
      'No service is configured: set KANTATA_API_TOKEN for Kantata OX, and/or HUDDLE_API_TOKEN, ' +
        'HUDDLE_CLIENT_ID + HUDDLE_CLIENT_SECRET, or HUDDLE_USERNAME + HUDDLE_PASSWORD for Huddle',
    );
  }

  const logLevel = (values.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const upstreamHttp: UpstreamHttpConfig = {
    connectTimeoutMs: millis('UPSTREAM_CONNECT_TIMEOUT_MS', 5_000),
    responseTimeoutMs: millis('UPSTREAM_RESPONSE_TIMEOUT_MS', 30_000),
  };

  const workspaceSearch: WorkspaceSearchConfig = {
    timeoutMs: millis('WORKSPACE_SEARCH_TIMEOUT_MS', 2_000),
    cacheTtlMs: cacheSeconds(values.WORKSPACE_SEARCH_CACHE_SECONDS, problems) * 1000,
  };
  // Slack gives an options request 3 s in all; the rest of the answer needs some of it.
  if (workspaceSearch.timeoutMs > MAX_WORKSPACE_SEARCH_TIMEOUT_MS) {
    problems.push(`WORKSPACE_SEARCH_TIMEOUT_MS must be at most ${MAX_WORKSPACE_SEARCH_TIMEOUT_MS}: Slack drops answers after 3 seconds`);
  }

  const policy = parsePolicy(values, problems, {
    kantata: kantata !== undefined,
    huddle: huddle !== undefined,
  });
  const storage = parseStorage(values, problems);
  const admins = list(values.INVITE_ADMINS);
  const badAdmins = admins.filter((id) => !USER_ID.test(id));
  if (badAdmins.length > 0) problems.push(`INVITE_ADMINS must list Slack user ids (U…) separated by commas; not valid: ${badAdmins.join(', ')}`);
  const followUp = parseFollowUp(values, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    policy,
    slack,
    storage,
    ...(kantata ? { kantata } : {}),
    ...(huddle ? { huddle } : {}),
    ...(identity ? { identity } : {}),
    admins,
    upstreamHttp,
    workspaceSearch,
    logLevel: logLevel as LogLevel,
    followUp,
  });
}

const MAX_FOLLOW_UP_CALLS_PER_HOUR = 3_600;

function parseFollowUp(values: ParsedEnv, problems: string[]): FollowUpConfig {
  const text = values.INVITE_FOLLOWUP_CALLS_PER_HOUR ?? '60';
  if (/^\d{1,4}$/.test(text) && Number(text) <= MAX_FOLLOW_UP_CALLS_PER_HOUR) return { callsPerHour: Number(text) };
  problems.push(`INVITE_FOLLOWUP_CALLS_PER_HOUR must be a whole number from 0 (no follow-up) to ${MAX_FOLLOW_UP_CALLS_PER_HOUR}`);
  return { callsPerHour: 60 };
}

function parseStorage(values: ParsedEnv, problems: string[]): StorageConfig {
  const historyText = values.INVITE_HISTORY_DAYS ?? '90';
  const historyDays = Number(historyText);
  if (!/^\d{1,5}$/.test(historyText) || historyDays < 1 || historyDays > 36_500) problems.push('INVITE_HISTORY_DAYS must be a whole number of days from 1 to 36500');
  const url = values.DATABASE_URL;
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) problems.push('DATABASE_URL must be a postgres:// URL (leave it unset to keep the ledger in a SQLite file under DATA_DIR)');
    if (values.DATA_DIR !== undefined) problems.push('DATA_DIR and DATABASE_URL are both set: the ledger lives in one place, so keep one of them');
    return { kind: 'postgres', url, historyDays };
  }
  return { kind: 'sqlite', dataDir: values.DATA_DIR ?? './data', historyDays };
}

const MAX_INVITEES_PER_REQUEST = 1000;
const MAX_WORKSPACE_SEARCH_TIMEOUT_MS = 2_500;

function cacheSeconds(value: string | undefined, problems: string[]): number {
  if (value === undefined) return 60;
  if (/^\d{1,4}$/.test(value) && Number(value) <= 3600) return Number(value);
  problems.push('WORKSPACE_SEARCH_CACHE_SECONDS must be a whole number of seconds from 0 to 3600');
  return 60;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const USER_ID = /^[UW][A-Z0-9]+$/;
const USERGROUP_ID = /^S[A-Z0-9]+$/;
const APPROVAL_POLICIES = ['none', 'external', 'client', 'all'] as const;

const DOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

function parsePolicy(values: ParsedEnv, problems: string[], enabled: Record<'kantata' | 'huddle', boolean>): InvitePolicyConfig {
  const ids = (name: 'INVITE_ALLOWED_USERS' | 'INVITE_ALLOWED_USERGROUPS', pattern: RegExp, what: string) => {
    const items = list(values[name]);
    const bad = items.filter((item) => !pattern.test(item));
    if (bad.length > 0) problems.push(`${name} must list ${what} separated by commas; not valid: ${bad.join(', ')}`);
    return items;
  };
  const domains = (name: 'INVITE_INTERNAL_DOMAINS' | 'INVITE_BLOCKED_DOMAINS') => {
    const items = list(values[name]).map((item) => item.toLowerCase().replace(/^@/, ''));
    const bad = items.filter((item) => !DOMAIN.test(item));
    if (bad.length > 0) problems.push(`${name} must list domain names separated by commas (like acme.com); not valid: ${bad.join(', ')}`);
    return items;
  };
  const whole = (name: keyof ParsedEnv, fallback: number, max: number) => {
    const value = values[name];
    if (value === undefined) return fallback;
    if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max) {
      problems.push(`${name} must be a whole number from 1 to ${max}`);
      return fallback;
    }
    return Number(value);
  };

  const allowedUsers = ids('INVITE_ALLOWED_USERS', USER_ID, 'Slack user ids (U…)');
  const allowedUsergroups = ids('INVITE_ALLOWED_USERGROUPS', USERGROUP_ID, 'Slack user group ids (S…)');
  const channelWorkspaces: Record<string, ChannelWorkspace> = {};
  for (const entry of list(values.INVITE_CHANNEL_WORKSPACES)) {
    const match = /^([CG][A-Z0-9]+)\s*=\s*(kantata|huddle)\s*:\s*([1-9]\d{0,17})$/.exec(entry.replace(/=\s*\w+/, (service) => service.toLowerCase()));
    if (!match) {
      problems.push(`INVITE_CHANNEL_WORKSPACES entries look like C0123=kantata:12345; not valid: ${entry}`);
      continue;
    }
    const [, channel = '', serviceName = '', workspaceId = ''] = match;
    const service = serviceName.toLowerCase() as ChannelWorkspace['service'];
    if (!enabled[service]) problems.push(`INVITE_CHANNEL_WORKSPACES binds ${channel} to ${service}, which is not configured`);
    channelWorkspaces[channel] = { service, workspaceId };
  }
  const restrict = values.INVITE_RESTRICT_TO_CHANNEL_WORKSPACE?.toLowerCase();
  if (restrict !== undefined && !['true', 'false', '1', '0', 'yes', 'no'].includes(restrict)) {
    problems.push('INVITE_RESTRICT_TO_CHANNEL_WORKSPACE must be true or false');
  }
  const internalDomains = domains('INVITE_INTERNAL_DOMAINS');
  return {
    allowedUsers,
    allowedUsergroups,
    channelWorkspaces,
    restrictToChannelWorkspace: ['true', '1', 'yes'].includes(restrict ?? ''),
    internalDomains,
    blockedDomains: domains('INVITE_BLOCKED_DOMAINS'),
    maxPerRequest: whole('INVITE_MAX_PER_REQUEST', 50, MAX_INVITEES_PER_REQUEST),
    userBudget: {
      invitations: whole('INVITE_USER_LIMIT', 30, 100_000),
      windowMs: whole('INVITE_USER_WINDOW_MINUTES', 10, 10_080) * 60_000,
    },
    duplicateWindowMs: whole('INVITE_DUPLICATE_WINDOW_MINUTES', 10, 10_080) * 60_000,
    approval: parseApproval(values, problems, { kantata: enabled.kantata, internalDomains: internalDomains.length > 0 }, whole),
  };
}

function parseApproval(
  values: ParsedEnv,
  problems: string[],
  context: { readonly kantata: boolean; readonly internalDomains: boolean },
  whole: (name: keyof ParsedEnv, fallback: number, max: number) => number,
): ApprovalPolicyConfig {
  const requiredText = (values.INVITE_APPROVAL_REQUIRED ?? 'none').toLowerCase();
  const required = APPROVAL_POLICIES.find((policy) => policy === requiredText);
  if (!required) problems.push(`INVITE_APPROVAL_REQUIRED must be one of ${APPROVAL_POLICIES.join(', ')}`);
  const approvers = list(values.INVITE_APPROVERS);
  const bad = approvers.filter((id) => !USER_ID.test(id) && !USERGROUP_ID.test(id));
  if (bad.length > 0) problems.push(`INVITE_APPROVERS must list Slack user ids (U…) and user group ids (S…) separated by commas; not valid: ${bad.join(', ')}`);
  if (required && required !== 'none' && approvers.length === 0) problems.push(`INVITE_APPROVAL_REQUIRED is ${required}: set INVITE_APPROVERS to the people (or user groups) who decide`);
  // Without internal domains every address is outside, which is surely not what was meant.
  if (required === 'external' && !context.internalDomains) problems.push('INVITE_APPROVAL_REQUIRED=external needs INVITE_INTERNAL_DOMAINS: the domains that are not outside');
  if (required === 'client' && !context.kantata) problems.push('INVITE_APPROVAL_REQUIRED=client concerns Kantata OX buyer invitations, and Kantata OX is not configured');
  const channel = values.INVITE_APPROVAL_CHANNEL;
  if (channel !== undefined && !/^[CG][A-Z0-9]+$/.test(channel)) problems.push('INVITE_APPROVAL_CHANNEL must be a Slack channel id (C…)');
  return {
    required: required ?? 'none',
    approverUsers: approvers.filter((id) => USER_ID.test(id)),
    approverUsergroups: approvers.filter((id) => USERGROUP_ID.test(id)),
    ...(channel !== undefined ? { channel } : {}),
    expiryMs: whole('INVITE_APPROVAL_EXPIRY_HOURS', 72, 720) * 3_600_000,
  };
}

function parseSlack(values: ParsedEnv, problems: string[]): SlackConfig {
  const botToken = values.SLACK_BOT_TOKEN ?? '';
  if (!botToken) problems.push('SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the app\'s OAuth & Permissions page');
  else if (!botToken.startsWith('xoxb-')) problems.push('SLACK_BOT_TOKEN must be a bot token, starting with xoxb-');
  const appToken = values.SLACK_APP_TOKEN;
  if (appToken && !appToken.startsWith('xapp-')) problems.push('SLACK_APP_TOKEN must be an app-level token, starting with xapp-');
  if (!appToken && !values.SLACK_SIGNING_SECRET) {
    problems.push('SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information page), or set SLACK_APP_TOKEN for Socket Mode');
  }
  if (values.SLACK_API_URL && !isHttpUrl(values.SLACK_API_URL)) problems.push(`SLACK_API_URL ${HTTP_URL_PROBLEM} without credentials in it`);
  const port = values.PORT === undefined ? 3000 : Number(values.PORT);
  if (!/^\d{1,5}$/.test(values.PORT ?? '3000') || port > 65535) problems.push('PORT must be a whole number from 0 to 65535');
  return {
    botToken,
    port,
    ...(values.SLACK_SIGNING_SECRET ? { signingSecret: values.SLACK_SIGNING_SECRET } : {}),
    ...(appToken ? { appToken } : {}),
    // The Web API client appends method names straight to this URL.
    ...(values.SLACK_API_URL ? { apiUrl: values.SLACK_API_URL.replace(/\/*$/, '/') } : {}),
  };
}

function parseHuddleAuth(
  values: ParsedEnv,
  problems: string[],
  url: (name: keyof ParsedEnv, fallback: string) => string,
  huddleLinking: boolean,
): HuddleAuthConfig | undefined {
  // With linking on, HUDDLE_CLIENT_ID alone names the application people link through, not a shared form.
  if (huddleLinking && values.HUDDLE_CLIENT_SECRET === undefined) {
    return parseHuddleAuth({ ...values, HUDDLE_CLIENT_ID: undefined }, problems, url, false);
  }
  const forms = [
    { label: 'HUDDLE_API_TOKEN', names: ['HUDDLE_API_TOKEN'] },
    { label: 'HUDDLE_CLIENT_ID + HUDDLE_CLIENT_SECRET', names: ['HUDDLE_CLIENT_ID', 'HUDDLE_CLIENT_SECRET'] },
    { label: 'HUDDLE_USERNAME + HUDDLE_PASSWORD', names: ['HUDDLE_USERNAME', 'HUDDLE_PASSWORD'] },
  ] as const;
  const started = forms.filter((form) => form.names.some((name) => values[name] !== undefined));

  if (started.length > 1) {
    problems.push(
      `Huddle credentials are given in more than one form (${started.map((f) => f.label).join('; ')}): keep exactly one`,
    );
    return undefined;
  }
  const form = started[0];
  if (!form) {
    if (values.HUDDLE_API_URL || values.HUDDLE_TOKEN_URL) {
      problems.push('HUDDLE_API_URL or HUDDLE_TOKEN_URL is set but no Huddle credentials are: set them to enable Huddle');
    }
    return undefined;
  }
  const missing = form.names.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    problems.push(`${missing.join(' and ')} must be set together with ${form.names.filter((n) => !missing.includes(n)).join(' and ')}`);
    return undefined;
  }
  if (values.HUDDLE_TOKEN_URL && form.names[0] !== 'HUDDLE_CLIENT_ID') {
    problems.push('HUDDLE_TOKEN_URL is only used with HUDDLE_CLIENT_ID + HUDDLE_CLIENT_SECRET');
  }
  if (values.HUDDLE_API_TOKEN) return { kind: 'bearer', token: values.HUDDLE_API_TOKEN };
  if (values.HUDDLE_CLIENT_ID && values.HUDDLE_CLIENT_SECRET) {
    return {
      kind: 'client_credentials',
      clientId: values.HUDDLE_CLIENT_ID,
      clientSecret: values.HUDDLE_CLIENT_SECRET,
      tokenUrl: url('HUDDLE_TOKEN_URL', DEFAULT_HUDDLE_TOKEN_URL),
    };
  }
  if (values.HUDDLE_USERNAME && values.HUDDLE_PASSWORD && values.HUDDLE_USERNAME.includes(':')) {
    problems.push('HUDDLE_USERNAME must not contain ":" (it cannot be sent with HTTP Basic authentication)');
    return undefined;
  }
  return { kind: 'basic', username: values.HUDDLE_USERNAME ?? '', password: values.HUDDLE_PASSWORD ?? '' };
}

const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const TOKEN_KEY_PROBLEM =
  'TOKEN_ENCRYPTION_KEY must be one or more id:key pairs separated by commas (like k1:<key>), each key 32 random bytes in base64 (openssl rand -base64 32) and each id at most 16 letters, digits, _ or -';

function parseTokenKeys(text: string, problems: string[]): TokenKeyConfig[] {
  const keys: TokenKeyConfig[] = [];
  for (const entry of list(text)) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const key = entry.slice(separator + 1).trim();
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
    if (separator < 1 || !KEY_ID.test(id) || bytes.length !== 32) {
      problems.push(TOKEN_KEY_PROBLEM);
      return [];
    }
    keys.push({ id, key });
  }
  if (keys.length === 0) problems.push(TOKEN_KEY_PROBLEM);
  if (new Set(keys.map((key) => key.id)).size !== keys.length) problems.push('TOKEN_ENCRYPTION_KEY names a key id twice: each key needs an id of its own');
  return keys;
}

/** `https://`, or `http://` for the machine itself: browsers send people's OAuth codes there. */
function publicUrlProblem(value: string): string | undefined {
  try {
    const parsed = new URL(value);
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    if (parsed.username || parsed.password || parsed.search || parsed.hash) return 'PUBLIC_URL must be a plain URL, without credentials, query or fragment';
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && local)) return undefined;
  } catch {
    // reported below
  }
  return 'PUBLIC_URL must be an https:// URL (http:// only for localhost)';
}

/**
 * Linking people's own accounts: on for Kantata OX with KANTATA_CLIENT_ID + KANTATA_CLIENT_SECRET, for Huddle
 * with HUDDLE_CLIENT_ID (its secret when the application has one), either with PUBLIC_URL and
 * TOKEN_ENCRYPTION_KEY. Without an OAuth client nothing changes: everyone is sent with the shared tokens.
 */
function parseIdentity(values: ParsedEnv, problems: string[], url: (name: keyof ParsedEnv, fallback: string) => string): IdentityConfig | undefined {
  const publicUrl = values.PUBLIC_URL;
  const kantataClient = values.KANTATA_CLIENT_ID !== undefined || values.KANTATA_CLIENT_SECRET !== undefined;
  if (kantataClient && (values.KANTATA_CLIENT_ID === undefined || values.KANTATA_CLIENT_SECRET === undefined)) {
    problems.push('KANTATA_CLIENT_ID and KANTATA_CLIENT_SECRET must be set together (the OAuth application people link their Kantata OX accounts through)');
  }
  if (kantataClient && publicUrl === undefined) problems.push('KANTATA_CLIENT_ID needs PUBLIC_URL: the address where people\'s browsers reach the bot after signing in to Kantata OX');
  // Without PUBLIC_URL, HUDDLE_CLIENT_ID is the shared client-credentials form, as before linking existed.
  const huddleLinking = publicUrl !== undefined && values.HUDDLE_CLIENT_ID !== undefined;
  const kantataLinking = publicUrl !== undefined && values.KANTATA_CLIENT_ID !== undefined && values.KANTATA_CLIENT_SECRET !== undefined;
  if (values.KANTATA_OAUTH_URL !== undefined && !kantataLinking) problems.push('KANTATA_OAUTH_URL is only used for linking: with KANTATA_CLIENT_ID, KANTATA_CLIENT_SECRET and PUBLIC_URL');
  if (values.HUDDLE_LOGIN_URL !== undefined && !huddleLinking) problems.push('HUDDLE_LOGIN_URL is only used for linking: with HUDDLE_CLIENT_ID and PUBLIC_URL');
  const required = values.INVITE_REQUIRE_LINKED_ACCOUNT?.toLowerCase();
  if (required !== undefined && !['true', 'false', '1', '0', 'yes', 'no'].includes(required)) problems.push('INVITE_REQUIRE_LINKED_ACCOUNT must be true or false');
  const requireLinkedAccount = ['true', '1', 'yes'].includes(required ?? '');
  if (!kantataLinking && !huddleLinking) {
    if (requireLinkedAccount) problems.push('INVITE_REQUIRE_LINKED_ACCOUNT needs linking: set PUBLIC_URL with KANTATA_CLIENT_ID + KANTATA_CLIENT_SECRET and/or HUDDLE_CLIENT_ID');
    if (values.TOKEN_ENCRYPTION_KEY !== undefined) parseTokenKeys(values.TOKEN_ENCRYPTION_KEY, problems);
    return undefined;
  }
  const urlProblem = publicUrlProblem(publicUrl ?? '');
  if (urlProblem) problems.push(urlProblem);
  if (values.TOKEN_ENCRYPTION_KEY === undefined) {
    problems.push('TOKEN_ENCRYPTION_KEY is not set: linking stores people\'s tokens encrypted with it (k1:<32 random bytes in base64>, e.g. from openssl rand -base64 32)');
  }
  const tokenKeysText = values.TOKEN_ENCRYPTION_KEY ?? '';
  const tokenKeys = tokenKeysText ? parseTokenKeys(tokenKeysText, problems) : [];
  return {
    publicUrl: (publicUrl ?? '').replace(/\/+$/, ''),
    requireLinkedAccount,
    tokenKeys,
    tokenKeysText,
    ...(kantataLinking
      ? { kantata: { clientId: values.KANTATA_CLIENT_ID ?? '', clientSecret: values.KANTATA_CLIENT_SECRET ?? '', loginUrl: url('KANTATA_OAUTH_URL', DEFAULT_KANTATA_OAUTH_URL) } }
      : {}),
    ...(huddleLinking
      ? {
          huddle: {
            clientId: values.HUDDLE_CLIENT_ID ?? '',
            ...(values.HUDDLE_CLIENT_SECRET ? { clientSecret: values.HUDDLE_CLIENT_SECRET } : {}),
            loginUrl: url('HUDDLE_LOGIN_URL', DEFAULT_HUDDLE_LOGIN_URL),
          },
        }
      : {}),
  };
}

/** Reads `.env` (if present) without overriding variables already set, then parses `process.env`. */
export function loadConfig(adjust: (env: Env) => Env = (env) => env, options: ParseOptions = {}): Config {
  loadDotenv({ quiet: true });
  return parseConfig(adjust(process.env), options);
}

/**
 * For entry points: the configuration, or one line per problem on stderr and exit code 1.
 * `adjust` lets a tool (the sandbox) replace some settings after `.env` is read.
 */
export function loadConfigOrExit(adjust?: (env: Env) => Env, options: ParseOptions = {}): Config {
  try {
    return loadConfig(adjust, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    console.error('See the Configuration section of README.md.');
    process.exit(1);
  }
}

/**
 * Every configured secret value, for scrubbing anything that leaves the process. It must cover each variable
 * CONFIG_VARIABLES marks secret; test/config-variables.test.ts holds the two together.
 */
export function secretValues(config: Config): string[] {
  const secrets: string[] = [config.slack.botToken];
  if (config.slack.signingSecret) secrets.push(config.slack.signingSecret);
  if (config.slack.appToken) secrets.push(config.slack.appToken);
  if (config.kantata?.apiToken) secrets.push(config.kantata.apiToken);
  if (config.identity) {
    secrets.push(config.identity.tokenKeysText, ...config.identity.tokenKeys.map((key) => key.key));
    if (config.identity.kantata?.clientSecret) secrets.push(config.identity.kantata.clientSecret);
    if (config.identity.huddle?.clientSecret) secrets.push(config.identity.huddle.clientSecret);
  }
  const auth = config.huddle?.auth;
  if (auth?.kind === 'bearer') secrets.push(auth.token);
  if (auth?.kind === 'client_credentials') secrets.push(auth.clientSecret);
  if (auth?.kind === 'basic') {
    secrets.push(auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  }
  if (config.storage.kind === 'postgres') secrets.push(config.storage.url, ...databasePassword(config.storage.url));
  return secrets.filter((secret) => secret.length > 0);
}

/** The password inside a database URL, as written and decoded: a driver's error may quote either. */
function databasePassword(url: string): string[] {
  try {
    const { password } = new URL(url);
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

export function enabledServices(config: Config): ('kantata' | 'huddle')[] {
  return [...(config.kantata ? (['kantata'] as const) : []), ...(config.huddle ? (['huddle'] as const) : [])];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
