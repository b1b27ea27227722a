import { FakeServer, type FakeResponse, type RecordedRequest } from './fake-server.js';
import { messageProblems, viewProblems } from './block-kit.js';

export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly response: Record<string, unknown>;
}

export interface FakeSlackUser {
  readonly id: string;
  readonly email?: string;
  readonly realName?: string;
  readonly isBot?: boolean;
  readonly deleted?: boolean;
  /** Workspace the account belongs to; T1 (the bot's own) unless given. */
  readonly teamId?: string;
  /** Multi-channel guest (`is_restricted`) or single-channel guest (`is_ultra_restricted`). */
  readonly guest?: 'multi' | 'single';
}

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments']);

/**
 * The Slack Web API methods this app calls, over real HTTP, and response_url endpoints. It checks the bot
 * token and Block Kit limits and answers like Slack, including per-channel errors such as
 * `channel_not_found` or `not_in_channel`, so fallbacks can be exercised.
 */
export class FakeSlack {
  readonly server: FakeServer;
  readonly calls: SlackCall[] = [];
  readonly responseUrlPosts: { path: string; body: Record<string, unknown> }[] = [];
  /** Channel id → the error chat.postMessage answers for it. */
  readonly postMessageErrors = new Map<string, string>();
  readonly ephemeralErrors = new Map<string, string>();
  readonly users = new Map<string, FakeSlackUser>();
  /** User group id → member ids, for usergroups.users.list. */
  readonly usergroups = new Map<string, string[]>();
  viewsOpenError: string | undefined;
  /** Sent as `x-oauth-scopes`, as Slack does on every Web API answer. */
  grantedScopes = ['commands', 'chat:write', 'chat:write.public', 'users:read', 'users:read.email', 'usergroups:read'];
  responseUrlStatus = 200;
  private nextTs = 1_700_000_000;

  constructor(private readonly botToken: string) {
    this.server = new FakeServer((request) => this.handle(request));
  }

  static async start(botToken: string): Promise<FakeSlack> {
    const fake = new FakeSlack(botToken);
    await fake.server.start();
    return fake;
  }

  get apiUrl(): string {
    return `${this.server.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.server.url}/respond/${id}`;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  addUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(request: RecordedRequest): FakeResponse {
    if (request.path.startsWith('/respond/')) {
      const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
      if (messageProblems(body).length > 0) return { status: 400, body: 'invalid_blocks' };
      this.responseUrlPosts.push({ path: request.path, body });
      return { status: this.responseUrlStatus, body: this.responseUrlStatus === 200 ? 'ok' : 'expired_url' };
    }
    const method = /^\/api\/([\w.]+)$/.exec(request.path)?.[1] ?? '';
    const args = parseArgs(request);
    const response = this.answer(method, args, request);
    this.calls.push({ method, args, response });
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...(response.ok ? { 'x-oauth-scopes': this.grantedScopes.join(',') } : {}) },
      body: JSON.stringify(response),
    };
  }

  private answer(method: string, args: Record<string, unknown>, request: RecordedRequest): Record<string, unknown> {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? args.token;
    if (token !== this.botToken) return { ok: false, error: 'invalid_auth' };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'invite-bot', team_id: 'T1', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'views.open': {
        const problems = viewProblems(args.view as Record<string, unknown>);
        if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
        if (this.viewsOpenError) return { ok: false, error: this.viewsOpenError };
        if (!args.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        return { ok: true, view: { id: 'V1', ...(args.view as object) } };
      }
      case 'chat.postMessage': {
        const problems = messageProblems(args);
        if (problems.length > 0) return { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems } };
        const channel = String(args.channel ?? '');
        const error = this.postMessageErrors.get(channel);
        if (error) return { ok: false, error };
        const ts = `${(this.nextTs += 1)}.000100`;
        return { ok: true, channel: channel.startsWith('U') ? `D${channel.slice(1)}` : channel, ts, message: { text: args.text, ts } };
      }
      case 'chat.postEphemeral': {
        const problems = messageProblems(args);
        if (problems.length > 0) return { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems } };
        if (!args.user) return { ok: false, error: 'user_not_found' };
        const error = this.ephemeralErrors.get(String(args.channel ?? ''));
        return error ? { ok: false, error } : { ok: true, message_ts: `${(this.nextTs += 1)}.000200` };
      }
      case 'users.info': {
        const user = this.users.get(String(args.user ?? ''));
        if (!user) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id: user.id,
            team_id: user.teamId ?? 'T1',
            deleted: user.deleted ?? false,
            is_restricted: user.guest !== undefined,
            is_ultra_restricted: user.guest === 'single',
            is_bot: user.isBot ?? false,
            real_name: user.realName,
            profile: { real_name: user.realName, ...(user.email ? { email: user.email } : {}) },
          },
        };
      }
      case 'usergroups.users.list': {
        const members = this.usergroups.get(String(args.usergroup ?? ''));
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseArgs(request: RecordedRequest): Record<string, unknown> {
  if (/json/.test(request.headers['content-type'] ?? '')) return JSON.parse(request.body || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(request.body)) {
    args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}
