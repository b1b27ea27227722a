import { describe, expect, it } from 'vitest';
import { ConfigError, enabledServices, parseConfig, secretValues } from '../src/config.js';
import { SLACK_TEST_ENV } from './fakes/env.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseConfig({ ...SLACK_TEST_ENV, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('enables Kantata with the documented default URL when only the token is set', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-secret-1' });
    expect(config.kantata).toEqual({ apiToken: 'kt-secret-1', apiUrl: 'https://api.mavenlink.com/api/v1', webUrl: 'https://app.mavenlink.com' });
    expect(config.huddle).toBeUndefined();
    expect(enabledServices(config)).toEqual(['kantata']);
  });

  it('reads each of the three Huddle credential forms', () => {
    expect(parseConfig({ ...SLACK_TEST_ENV, HUDDLE_API_TOKEN: 'ht-1' }).huddle).toEqual({
      apiUrl: 'https://api.huddle.net',
      auth: { kind: 'bearer', token: 'ht-1' },
    });
    expect(parseConfig({ ...SLACK_TEST_ENV, HUDDLE_CLIENT_ID: 'cid', HUDDLE_CLIENT_SECRET: 'csecret' }).huddle?.auth).toEqual({
      kind: 'client_credentials',
      clientId: 'cid',
      clientSecret: 'csecret',
      tokenUrl: 'https://login.huddle.net/token',
    });
    expect(parseConfig({ ...SLACK_TEST_ENV, HUDDLE_USERNAME: 'bob', HUDDLE_PASSWORD: 'pw-123456' }).huddle?.auth).toEqual({
      kind: 'basic',
      username: 'bob',
      password: 'pw-123456',
    });
  });

  it('strips trailing slashes from base URLs and accepts FedRAMP hosts', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, HUDDLE_API_TOKEN: 'ht-1', HUDDLE_API_URL: 'https://api.huddle.com/' });
    expect(config.huddle?.apiUrl).toBe('https://api.huddle.com');
  });

  it('returns a frozen object', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-secret-1' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kantata)).toBe(true);
    expect(Object.isFrozen(config.upstreamHttp)).toBe(true);
  });

  it('treats blank values as unset', () => {
    expect(problemsOf({ KANTATA_API_TOKEN: '  ', HUDDLE_API_TOKEN: '' })).toEqual([
      expect.stringMatching(/^No service is configured/),
    ]);
  });

  it('lets the doctor do without a service, and only that', () => {
    const slackOnly = parseConfig(SLACK_TEST_ENV, { serviceRequired: false });
    expect(enabledServices(slackOnly)).toEqual([]);
    expect(slackOnly.slack.botToken).toBe(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    expect(() => parseConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_APP_TOKEN: 'xapp-1' }, { serviceRequired: false })).toThrow(
      expect.objectContaining({ problems: ['SLACK_BOT_TOKEN must be a bot token, starting with xoxb-'] }),
    );
    expect(() => parseConfig({ ...SLACK_TEST_ENV, INVITE_CHANNEL_WORKSPACES: 'C1=kantata:1' }, { serviceRequired: false })).toThrow(
      expect.objectContaining({ problems: ['INVITE_CHANNEL_WORKSPACES binds C1 to kantata, which is not configured'] }),
    );
  });

  it('names the missing half of a credential pair', () => {
    expect(problemsOf({ HUDDLE_CLIENT_ID: 'cid' })).toEqual([
      'HUDDLE_CLIENT_SECRET must be set together with HUDDLE_CLIENT_ID',
    ]);
    expect(problemsOf({ HUDDLE_PASSWORD: 'pw-secret-value' })).toEqual([
      'HUDDLE_USERNAME must be set together with HUDDLE_PASSWORD',
    ]);
  });

  it('refuses credentials in two forms at once', () => {
    expect(problemsOf({ HUDDLE_API_TOKEN: 't', HUDDLE_USERNAME: 'u', HUDDLE_PASSWORD: 'p' })[0]).toMatch(
      /more than one form \(HUDDLE_API_TOKEN; HUDDLE_USERNAME \+ HUDDLE_PASSWORD\)/,
    );
  });

  it('lists every problem, each naming its variable, and never the secret values', () => {
    const env = {
      KANTATA_API_TOKEN: 'kt-very-secret',
      KANTATA_API_URL: 'ftp://kt-very-secret.example',
      HUDDLE_CLIENT_ID: 'cid',
      HUDDLE_CLIENT_SECRET: 'hc-very-secret',
      HUDDLE_TOKEN_URL: 'not a url',
      UPSTREAM_CONNECT_TIMEOUT_MS: 'soon',
      LOG_LEVEL: 'loud',
    };
    const problems = problemsOf(env);
    expect(problems).toEqual([
      'KANTATA_API_URL must be an http:// or https:// URL without credentials in it',
      'HUDDLE_TOKEN_URL must be an http:// or https:// URL without credentials in it',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'UPSTREAM_CONNECT_TIMEOUT_MS must be a whole number of milliseconds above 0',
    ]);
    const text = problems.join('\n');
    expect(text).not.toContain('kt-very-secret');
    expect(text).not.toContain('hc-very-secret');
  });

  it('rejects a URL with credentials embedded in it', () => {
    expect(problemsOf({ KANTATA_API_TOKEN: 't', KANTATA_API_URL: 'https://user:pw@api.example' })).toEqual([
      'KANTATA_API_URL must be an http:// or https:// URL without credentials in it',
    ]);
  });

  it('needs a bot token, and a signing secret unless Socket Mode is on', () => {
    expect(() => parseConfig({ KANTATA_API_TOKEN: 't' })).toThrow(ConfigError);
    try {
      parseConfig({ KANTATA_API_TOKEN: 't', SLACK_BOT_TOKEN: 'xoxp-user-token', PORT: 'eighty' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'SLACK_BOT_TOKEN must be a bot token, starting with xoxb-',
        'SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information page), or set SLACK_APP_TOKEN for Socket Mode',
        'PORT must be a whole number from 0 to 65535',
      ]);
    }
    const socket = parseConfig({ KANTATA_API_TOKEN: 't', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(socket.slack).toEqual({ botToken: 'xoxb-1', appToken: 'xapp-1', port: 3000 });
    const gov = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 't', SLACK_API_URL: 'https://slack-gov.com/api', PORT: '8080' });
    expect(gov.slack.apiUrl).toBe('https://slack-gov.com/api/');
    expect(gov.slack.port).toBe(8080);
  });

  it('collects the secrets to scrub, including the Basic header form', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1234', HUDDLE_USERNAME: 'bob', HUDDLE_PASSWORD: 'pw-5678' });
    expect(secretValues(config)).toEqual([SLACK_TEST_ENV.SLACK_BOT_TOKEN, SLACK_TEST_ENV.SLACK_SIGNING_SECRET, 'kt-1234', 'pw-5678', Buffer.from('bob:pw-5678').toString('base64')]);
  });
});

describe('guard-rail settings', () => {
  const base = { ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1', HUDDLE_API_TOKEN: 'ht-1' };

  it('have safe defaults', () => {
    expect(parseConfig(base).policy).toEqual({
      allowedUsers: [],
      allowedUsergroups: [],
      channelWorkspaces: {},
      restrictToChannelWorkspace: false,
      internalDomains: [],
      blockedDomains: [],
      maxPerRequest: 50,
      userBudget: { invitations: 30, windowMs: 600_000 },
      duplicateWindowMs: 600_000,
      approval: { required: 'none', approverUsers: [], approverUsergroups: [], expiryMs: 72 * 3_600_000 },
    });
    expect(parseConfig(base).admins).toEqual([]);
  });

  it('read lists, channel bindings and limits', () => {
    const policy = parseConfig({
      ...base,
      INVITE_ALLOWED_USERS: 'U1, W2',
      INVITE_ALLOWED_USERGROUPS: 'S1',
      INVITE_CHANNEL_WORKSPACES: 'C0123=kantata:12345, G0456=Huddle:89178',
      INVITE_RESTRICT_TO_CHANNEL_WORKSPACE: 'yes',
      INVITE_INTERNAL_DOMAINS: 'Acme.com,@acme.co.uk',
      INVITE_BLOCKED_DOMAINS: 'rival.com',
      INVITE_MAX_PER_REQUEST: '500',
      INVITE_USER_LIMIT: '100',
      INVITE_USER_WINDOW_MINUTES: '60',
      INVITE_DUPLICATE_WINDOW_MINUTES: '5',
    }).policy;
    expect(policy).toEqual({
      allowedUsers: ['U1', 'W2'],
      allowedUsergroups: ['S1'],
      channelWorkspaces: { C0123: { service: 'kantata', workspaceId: '12345' }, G0456: { service: 'huddle', workspaceId: '89178' } },
      restrictToChannelWorkspace: true,
      internalDomains: ['acme.com', 'acme.co.uk'],
      blockedDomains: ['rival.com'],
      maxPerRequest: 500,
      userBudget: { invitations: 100, windowMs: 3_600_000 },
      duplicateWindowMs: 300_000,
      approval: { required: 'none', approverUsers: [], approverUsergroups: [], expiryMs: 72 * 3_600_000 },
    });
  });

  it('read approvals: who decides, where, for how long, and who may retry for others', () => {
    const config = parseConfig({
      ...base,
      INVITE_INTERNAL_DOMAINS: 'acme.com',
      INVITE_APPROVAL_REQUIRED: 'External',
      INVITE_APPROVERS: 'U1, S2,W3',
      INVITE_APPROVAL_CHANNEL: 'C0789',
      INVITE_APPROVAL_EXPIRY_HOURS: '24',
      INVITE_ADMINS: 'U9',
    });
    expect(config.policy.approval).toEqual({ required: 'external', approverUsers: ['U1', 'W3'], approverUsergroups: ['S2'], channel: 'C0789', expiryMs: 24 * 3_600_000 });
    expect(config.admins).toEqual(['U9']);
  });

  it('name every approval setting that cannot work', () => {
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', INVITE_APPROVAL_REQUIRED: 'sometimes', INVITE_APPROVERS: 'lee', INVITE_APPROVAL_CHANNEL: '#approvals', INVITE_ADMINS: 'S1' })).toEqual([
      'INVITE_APPROVAL_REQUIRED must be one of none, external, client, all',
      'INVITE_APPROVERS must list Slack user ids (U…) and user group ids (S…) separated by commas; not valid: lee',
      'INVITE_APPROVAL_CHANNEL must be a Slack channel id (C…)',
      'INVITE_ADMINS must list Slack user ids (U…) separated by commas; not valid: S1',
    ]);
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', INVITE_APPROVAL_REQUIRED: 'all' })).toEqual(['INVITE_APPROVAL_REQUIRED is all: set INVITE_APPROVERS to the people (or user groups) who decide']);
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', INVITE_APPROVAL_REQUIRED: 'external', INVITE_APPROVERS: 'U1' })).toEqual([
      'INVITE_APPROVAL_REQUIRED=external needs INVITE_INTERNAL_DOMAINS: the domains that are not outside',
    ]);
    expect(problemsOf({ HUDDLE_API_TOKEN: 'ht-1', INVITE_APPROVAL_REQUIRED: 'client', INVITE_APPROVERS: 'U1' })).toEqual([
      'INVITE_APPROVAL_REQUIRED=client concerns Kantata OX buyer invitations, and Kantata OX is not configured',
    ]);
  });

  it('name every malformed setting', () => {
    expect(
      problemsOf({
        KANTATA_API_TOKEN: 'kt-1',
        INVITE_ALLOWED_USERS: 'bob',
        INVITE_CHANNEL_WORKSPACES: 'general=kantata:1,C1=huddle:2',
        INVITE_INTERNAL_DOMAINS: 'not a domain',
        INVITE_MAX_PER_REQUEST: '0',
        INVITE_RESTRICT_TO_CHANNEL_WORKSPACE: 'maybe',
      }),
    ).toEqual([
      'INVITE_ALLOWED_USERS must list Slack user ids (U…) separated by commas; not valid: bob',
      'INVITE_CHANNEL_WORKSPACES entries look like C0123=kantata:12345; not valid: general=kantata:1',
      'INVITE_CHANNEL_WORKSPACES binds C1 to huddle, which is not configured',
      'INVITE_RESTRICT_TO_CHANNEL_WORKSPACE must be true or false',
      'INVITE_INTERNAL_DOMAINS must list domain names separated by commas (like acme.com); not valid: not a domain',
      'INVITE_MAX_PER_REQUEST must be a whole number from 1 to 1000',
    ]);
  });

  it('reads the workspace search settings, keeping the time box inside Slack’s 3 seconds', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1', KANTATA_WEB_URL: 'https://acme.mavenlink.com/', WORKSPACE_SEARCH_TIMEOUT_MS: '1500', WORKSPACE_SEARCH_CACHE_SECONDS: '0' });
    expect(config.workspaceSearch).toEqual({ timeoutMs: 1500, cacheTtlMs: 0 });
    expect(config.kantata?.webUrl).toBe('https://acme.mavenlink.com');
    expect(parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1' }).workspaceSearch).toEqual({ timeoutMs: 2000, cacheTtlMs: 60_000 });
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', KANTATA_WEB_URL: 'javascript:alert(1)', WORKSPACE_SEARCH_TIMEOUT_MS: '3000', WORKSPACE_SEARCH_CACHE_SECONDS: 'forever' })).toEqual([
      'KANTATA_WEB_URL must be an http:// or https:// URL without credentials in it',
      'WORKSPACE_SEARCH_CACHE_SECONDS must be a whole number of seconds from 0 to 3600',
      'WORKSPACE_SEARCH_TIMEOUT_MS must be at most 2500: Slack drops answers after 3 seconds',
    ]);
  });

  it('reads the follow-up budget: 60 lookups an hour unless set, 0 for none', () => {
    expect(parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1' }).followUp).toEqual({ callsPerHour: 60 });
    expect(parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1', INVITE_FOLLOWUP_CALLS_PER_HOUR: '0' }).followUp).toEqual({ callsPerHour: 0 });
    expect(parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1', INVITE_FOLLOWUP_CALLS_PER_HOUR: '3600' }).followUp).toEqual({ callsPerHour: 3600 });
    for (const bad of ['3601', '-1', '1.5', 'lots']) {
      expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', INVITE_FOLLOWUP_CALLS_PER_HOUR: bad })).toEqual(['INVITE_FOLLOWUP_CALLS_PER_HOUR must be a whole number from 0 (no follow-up) to 3600']);
    }
  });
});

describe('account linking settings', () => {
  const key1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
  const key2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;
  const kantataLinking = { PUBLIC_URL: 'https://invite-bot.example/', KANTATA_CLIENT_ID: 'kc', KANTATA_CLIENT_SECRET: 'ks-secret', TOKEN_ENCRYPTION_KEY: key1 };

  it('changes nothing without an OAuth client: everyone uses the shared tokens', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: 'kt-1', HUDDLE_CLIENT_ID: 'cid', HUDDLE_CLIENT_SECRET: 'cs-1' });
    expect(config.identity).toBeUndefined();
    expect(config.huddle?.auth?.kind).toBe('client_credentials');
  });

  it('links Kantata OX with its OAuth application, and lets it be the only Kantata access', () => {
    const config = parseConfig({ ...SLACK_TEST_ENV, ...kantataLinking, TOKEN_ENCRYPTION_KEY: `${key2}, ${key1}` });
    expect(config.identity).toEqual({
      publicUrl: 'https://invite-bot.example',
      requireLinkedAccount: false,
      tokenKeys: [
        { id: 'k2', key: Buffer.alloc(32, 2).toString('base64') },
        { id: 'k1', key: Buffer.alloc(32, 1).toString('base64') },
      ],
      tokenKeysText: `${key2}, ${key1}`,
      kantata: { clientId: 'kc', clientSecret: 'ks-secret', loginUrl: 'https://app.mavenlink.com' },
    });
    expect(config.kantata).toEqual({ apiUrl: 'https://api.mavenlink.com/api/v1', webUrl: 'https://app.mavenlink.com' });
    expect(enabledServices(config)).toEqual(['kantata']);
    expect(secretValues(config)).toEqual(expect.arrayContaining(['ks-secret', `${key2}, ${key1}`, Buffer.alloc(32, 1).toString('base64')]));
  });

  it('reuses HUDDLE_CLIENT_ID for linking with PUBLIC_URL: with its secret also the shared client credentials, alone linking only', () => {
    const both = parseConfig({ ...SLACK_TEST_ENV, PUBLIC_URL: 'https://bot.example', TOKEN_ENCRYPTION_KEY: key1, HUDDLE_CLIENT_ID: 'hc', HUDDLE_CLIENT_SECRET: 'hs-1' });
    expect(both.huddle?.auth).toMatchObject({ kind: 'client_credentials', clientId: 'hc' });
    expect(both.identity?.huddle).toEqual({ clientId: 'hc', clientSecret: 'hs-1', loginUrl: 'https://login.huddle.net' });
    const alone = parseConfig({ ...SLACK_TEST_ENV, PUBLIC_URL: 'https://bot.example', TOKEN_ENCRYPTION_KEY: key1, HUDDLE_CLIENT_ID: 'hc', HUDDLE_API_TOKEN: 'ht-1' });
    expect(alone.huddle?.auth).toEqual({ kind: 'bearer', token: 'ht-1' });
    expect(alone.identity?.huddle).toEqual({ clientId: 'hc', loginUrl: 'https://login.huddle.net' });
    // Without PUBLIC_URL the client id is only the shared form, which needs its secret, as before.
    expect(problemsOf({ HUDDLE_CLIENT_ID: 'hc' })).toEqual(['HUDDLE_CLIENT_SECRET must be set together with HUDDLE_CLIENT_ID']);
  });

  it('names each problem and never its value', () => {
    const problems = problemsOf({
      KANTATA_API_TOKEN: 'kt-1',
      PUBLIC_URL: 'http://bot.example',
      KANTATA_CLIENT_ID: 'kc',
      KANTATA_CLIENT_SECRET: 'very-secret-value',
      TOKEN_ENCRYPTION_KEY: 'k1:c2hvcnQ=',
      INVITE_REQUIRE_LINKED_ACCOUNT: 'maybe',
      INVITE_ADMINS: 'ann',
    });
    expect(problems).toEqual([
      'INVITE_REQUIRE_LINKED_ACCOUNT must be true or false',
      'PUBLIC_URL must be an https:// URL (http:// only for localhost)',
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEY must be one or more id:key pairs/),
      'INVITE_ADMINS must list Slack user ids (U…) separated by commas; not valid: ann',
    ]);
    expect(problems.join('\n')).not.toContain('very-secret-value');
    expect(problems.join('\n')).not.toContain('c2hvcnQ=');
  });

  it('asks for what linking needs, and refuses settings that would do nothing', () => {
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', KANTATA_CLIENT_ID: 'kc', KANTATA_CLIENT_SECRET: 'ks' })).toEqual([
      expect.stringMatching(/^KANTATA_CLIENT_ID needs PUBLIC_URL/),
    ]);
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', PUBLIC_URL: 'https://bot.example', KANTATA_CLIENT_ID: 'kc', KANTATA_CLIENT_SECRET: 'ks' })).toEqual([
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not set/),
    ]);
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', INVITE_REQUIRE_LINKED_ACCOUNT: 'true' })).toEqual([expect.stringMatching(/^INVITE_REQUIRE_LINKED_ACCOUNT needs linking/)]);
    expect(problemsOf({ KANTATA_API_TOKEN: 'kt-1', KANTATA_OAUTH_URL: 'https://app.example' })).toEqual([expect.stringMatching(/^KANTATA_OAUTH_URL is only used for linking/)]);
    expect(problemsOf({ ...kantataLinking, TOKEN_ENCRYPTION_KEY: `${key1},${key1}` })).toEqual(['TOKEN_ENCRYPTION_KEY names a key id twice: each key needs an id of its own']);
    expect(parseConfig({ ...SLACK_TEST_ENV, ...kantataLinking, PUBLIC_URL: 'http://localhost:3000' }).identity?.publicUrl).toBe('http://localhost:3000');
  });
});
