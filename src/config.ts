import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';

export const DEFAULT_KANTATA_API_URL = 'https://api.mavenlink.com/api/v1';
export const DEFAULT_HUDDLE_API_URL = 'https://api.huddle.net';
export const DEFAULT_HUDDLE_TOKEN_URL = 'https://login.huddle.net/token';
/** Where people open a Kantata project in a browser: `{webUrl}/workspaces/{id}`. */
export const DEFAULT_KANTATA_WEB_URL = 'https://app.mavenlink.com';

export interface KantataConfig {
  readonly apiUrl: string;
  readonly apiToken: string;
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
  readonly auth: HuddleAuthConfig;
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
}

export interface Config {
  readonly slack: SlackConfig;
  readonly kantata?: KantataConfig;
  readonly huddle?: HuddleConfig;
  readonly upstreamHttp: UpstreamHttpConfig;
  readonly workspaceSearch: WorkspaceSearchConfig;
  readonly logLevel: LogLevel;
  readonly policy: InvitePolicyConfig;
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

const envSchema = z.object({
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: optionalText,
  PORT: optionalText,
  KANTATA_API_TOKEN: optionalText,
  KANTATA_API_URL: optionalText,
  KANTATA_WEB_URL: optionalText,
  HUDDLE_API_URL: optionalText,
  HUDDLE_API_TOKEN: optionalText,
  HUDDLE_CLIENT_ID: optionalText,
  HUDDLE_CLIENT_SECRET: optionalText,
  HUDDLE_TOKEN_URL: optionalText,
  HUDDLE_USERNAME: optionalText,
  HUDDLE_PASSWORD: optionalText,
  UPSTREAM_CONNECT_TIMEOUT_MS: optionalText,
  UPSTREAM_RESPONSE_TIMEOUT_MS: optionalText,
  LOG_LEVEL: optionalText,
  WORKSPACE_SEARCH_TIMEOUT_MS: optionalText,
  WORKSPACE_SEARCH_CACHE_SECONDS: optionalText,
  INVITE_ALLOWED_USERS: optionalText,
  INVITE_ALLOWED_USERGROUPS: optionalText,
  INVITE_CHANNEL_WORKSPACES: optionalText,
  INVITE_RESTRICT_TO_CHANNEL_WORKSPACE: optionalText,
  INVITE_INTERNAL_DOMAINS: optionalText,
  INVITE_BLOCKED_DOMAINS: optionalText,
  INVITE_MAX_PER_REQUEST: optionalText,
  INVITE_USER_LIMIT: optionalText,
  INVITE_USER_WINDOW_MINUTES: optionalText,
  INVITE_DUPLICATE_WINDOW_MINUTES: optionalText,
});

type ParsedEnv = z.infer<typeof envSchema>;

/**
 * Builds the one typed configuration object from environment variables.
 * Every problem names the variable and what is wrong with it, never the value it holds.
 */
export function parseConfig(env: Env): Config {
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

  const kantata: KantataConfig | undefined = values.KANTATA_API_TOKEN
    ? {
        apiToken: values.KANTATA_API_TOKEN,
        apiUrl: url('KANTATA_API_URL', DEFAULT_KANTATA_API_URL),
        webUrl: url('KANTATA_WEB_URL', DEFAULT_KANTATA_WEB_URL),
      }
    : undefined;
  if (!kantata && values.KANTATA_API_URL) {
    problems.push('KANTATA_API_URL is set but KANTATA_API_TOKEN is not: set the token to enable Kantata OX');
  }

  const huddleAuth = parseHuddleAuth(values, problems, url);
  const huddle: HuddleConfig | undefined = huddleAuth
    ? { auth: huddleAuth, apiUrl: url('HUDDLE_API_URL', DEFAULT_HUDDLE_API_URL) }
    : undefined;

  if (!kantata && !huddle && problems.length === 0) {
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

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    policy,
    slack,
    ...(kantata ? { kantata } : {}),
    ...(huddle ? { huddle } : {}),
    upstreamHttp,
    workspaceSearch,
    logLevel: logLevel as LogLevel,
  });
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

  const allowedUsers = ids('INVITE_ALLOWED_USERS', /^[UW][A-Z0-9]+$/, 'Slack user ids (U…)');
  const allowedUsergroups = ids('INVITE_ALLOWED_USERGROUPS', /^S[A-Z0-9]+$/, 'Slack user group ids (S…)');
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
  return {
    allowedUsers,
    allowedUsergroups,
    channelWorkspaces,
    restrictToChannelWorkspace: ['true', '1', 'yes'].includes(restrict ?? ''),
    internalDomains: domains('INVITE_INTERNAL_DOMAINS'),
    blockedDomains: domains('INVITE_BLOCKED_DOMAINS'),
    maxPerRequest: whole('INVITE_MAX_PER_REQUEST', 50, MAX_INVITEES_PER_REQUEST),
    userBudget: {
      invitations: whole('INVITE_USER_LIMIT', 30, 100_000),
      windowMs: whole('INVITE_USER_WINDOW_MINUTES', 10, 10_080) * 60_000,
    },
    duplicateWindowMs: whole('INVITE_DUPLICATE_WINDOW_MINUTES', 10, 10_080) * 60_000,
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
): HuddleAuthConfig | undefined {
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

/** Reads `.env` (if present) without overriding variables already set, then parses `process.env`. */
export function loadConfig(adjust: (env: Env) => Env = (env) => env): Config {
  loadDotenv({ quiet: true });
  return parseConfig(adjust(process.env));
}

/**
 * For entry points: the configuration, or one line per problem on stderr and exit code 1.
 * `adjust` lets a tool (the sandbox) replace some settings after `.env` is read.
 */
export function loadConfigOrExit(adjust?: (env: Env) => Env): Config {
  try {
    return loadConfig(adjust);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    console.error('See the Configuration section of README.md.');
    process.exit(1);
  }
}

/** Every configured secret value, for scrubbing anything that leaves the process. */
export function secretValues(config: Config): string[] {
  const secrets: string[] = [config.slack.botToken];
  if (config.slack.signingSecret) secrets.push(config.slack.signingSecret);
  if (config.slack.appToken) secrets.push(config.slack.appToken);
  if (config.kantata) secrets.push(config.kantata.apiToken);
  const auth = config.huddle?.auth;
  if (auth?.kind === 'bearer') secrets.push(auth.token);
  if (auth?.kind === 'client_credentials') secrets.push(auth.clientSecret);
  if (auth?.kind === 'basic') {
    secrets.push(auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  }
  return secrets.filter((secret) => secret.length > 0);
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
