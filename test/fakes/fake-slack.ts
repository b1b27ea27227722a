import { FakeServer, type FakeResponse, type RecordedRequest } from './fake-server.js';
import { homeViewProblems, messageProblems, viewProblems } from './block-kit.js';
import { FakeSocketMode, type FakeSocketModeOptions } from './fake-socket-mode.js';

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

export interface FakeSlackOptions {
  /** Serve Socket Mode too: `apps.connections.open` for this app-level token, and the WebSockets it hands out. */
  readonly socketMode?: Partial<FakeSocketModeOptions> & Pick<FakeSocketModeOptions, 'appToken'>;
}

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
  /** Method → how Slack rate limits it for now: HTTP 429 with `Retry-After`, for the next `times` calls. */
  private readonly rateLimits = new Map<string, { retryAfterSeconds: number; times: number }>();
  /** Sent as `x-oauth-scopes`, as Slack does on every Web API answer. */
  grantedScopes = ['commands', 'chat:write', 'chat:write.public', 'users:read', 'users:read.email', 'usergroups:read'];
  /** False: answers carry no `x-oauth-scopes` at all, as when a proxy in between drops the header. */
  sendScopesHeader = true;
  responseUrlStatus = 200;
  /** Slack's Socket Mode endpoint, when asked for. */
  readonly socketMode: FakeSocketMode | undefined;
  private nextTs = 1_700_000_000;
  /** The Home tab as last published for each user (`views.publish`). */
  readonly homeViews = new Map<string, Record<string, unknown>>();
  /** What the bot posted, by `channel/ts`, as it reads now (after any chat.update): only these can be updated or threaded. */
  readonly messages = new Map<string, { text: string; blocks: unknown }>();
  /** The views the bot opened, by id, as they read now (after any views.update), with their current hash. */
  readonly views = new Map<string, { view: Record<string, unknown>; hash: string }>();
  private viewChanges = 0;

  constructor(
    private readonly botToken: string,
    options: FakeSlackOptions = {},
  ) {
    this.server = new FakeServer((request) => this.handle(request));
    if (options.socketMode) {
      const socketMode = new FakeSocketMode(options.socketMode, () => this.server.url);
      this.server.onUpgrade = (request, socket, head) => socketMode.handleUpgrade(request, socket, head);
      this.socketMode = socketMode;
    }
  }

  static async start(botToken: string, options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(botToken, options);
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

  /** Methods answered HTTP 503 for now: Slack (or the network to it) is down for them. */
  readonly unavailable = new Set<string>();

  /** Answers the next `times` calls of `method` with 429 and `Retry-After: retryAfterSeconds`, as Slack does over a limit. */
  rateLimit(method: string, retryAfterSeconds: number, times = 1): void {
    this.rateLimits.set(method, { retryAfterSeconds, times });
  }

  addUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  async close(): Promise<void> {
    await this.socketMode?.close();
    await this.server.close();
  }

  private handle(request: RecordedRequest): FakeResponse {
    if (request.path.startsWith('/respond/')) {
      const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
      if (messageProblems(body).length > 0) return { status: 400, body: 'invalid_blocks' };
      this.responseUrlPosts.push({ path: request.path, body });
      return { status: this.responseUrlStatus, body: this.responseUrlStatus === 200 ? 'ok' : 'expired_url' };
    }
    const method = /^\/api\/([\w.]+)$/.exec(request.path)?.[1] ?? '';
    // Called with the app-level token, not the bot token, and answered by the Socket Mode endpoint.
    if (method === 'apps.connections.open' && this.socketMode) return this.socketMode.answerOpen(request);
    const args = parseArgs(request);
    if (this.unavailable.has(method)) {
      this.calls.push({ method, args, response: { ok: false, error: 'service_unavailable' } });
      return { status: 503, headers: { 'content-type': 'text/html' }, body: '<html><body>Service Unavailable</body></html>' };
    }
    const limit = this.rateLimits.get(method);
    if (limit && limit.times > 0) {
      limit.times -= 1;
      const response = { ok: false, error: 'ratelimited' };
      this.calls.push({ method, args, response });
      return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': String(limit.retryAfterSeconds) }, body: JSON.stringify(response) };
    }
    const response = this.answer(method, args, request);
    this.calls.push({ method, args, response });
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...(response.ok && this.sendScopesHeader ? { 'x-oauth-scopes': this.grantedScopes.join(',') } : {}) },
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
        const id = `V${this.views.size + 1}`;
        return { ok: true, view: this.storeView(id, args.view as Record<string, unknown>) };
      }
      case 'views.update': {
        // As Slack: the view must exist, and a hash, when given, must be the view's current one.
        const id = String(args.view_id ?? '');
        const current = this.views.get(id);
        if (!current) return { ok: false, error: 'not_found' };
        if (args.hash !== undefined && args.hash !== current.hash) return { ok: false, error: 'hash_conflict' };
        const problems = viewProblems(args.view as Record<string, unknown>);
        if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
        return { ok: true, view: this.storeView(id, args.view as Record<string, unknown>) };
      }
      case 'views.publish': {
        const view = args.view as Record<string, unknown> | undefined;
        const problems = view ? homeViewProblems(view) : ['no view'];
        if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
        const userId = String(args.user_id ?? '');
        if (!this.users.has(userId)) return { ok: false, error: 'user_not_found' };
        this.homeViews.set(userId, view as Record<string, unknown>);
        return { ok: true, view: { id: `VHOME${userId}`, ...view } };
      }
      case 'chat.postMessage': {
        const problems = messageProblems(args);
        if (problems.length > 0) return { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems } };
        const channel = String(args.channel ?? '');
        const error = this.postMessageErrors.get(channel);
        if (error) return { ok: false, error };
        const ts = `${(this.nextTs += 1)}.000100`;
        // A message to a user id goes to the DM with them, which has its own channel id.
        const postedIn = channel.startsWith('U') ? `D${channel.slice(1)}` : channel;
        if (args.thread_ts !== undefined && !this.messages.has(`${postedIn}/${String(args.thread_ts)}`)) return { ok: false, error: 'thread_not_found' };
        this.messages.set(`${postedIn}/${ts}`, { text: String(args.text ?? ''), blocks: args.blocks });
        return { ok: true, channel: postedIn, ts, message: { text: args.text, ts } };
      }
      case 'chat.update': {
        const problems = messageProblems(args);
        if (problems.length > 0) return { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems } };
        const key = `${String(args.channel ?? '')}/${String(args.ts ?? '')}`;
        if (!this.messages.has(key)) return { ok: false, error: 'message_not_found' };
        this.messages.set(key, { text: String(args.text ?? ''), blocks: args.blocks });
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
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

  /** Every change gives the view a new hash, as Slack's do. */
  private storeView(id: string, view: Record<string, unknown>): Record<string, unknown> {
    this.viewChanges += 1;
    const hash = `${1_700_000_000 + this.viewChanges}.${id}`;
    this.views.set(id, { view, hash });
    return { id, hash, ...view };
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
