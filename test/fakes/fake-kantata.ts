import { bearerToken, FakeServer, SlidingWindowLimiter, type FakeResponse, type RecordedRequest } from './fake-server.js';

export interface FakeKantataWorkspace {
  readonly title: string;
  /** Whether the token's user may invite to it; false answers 403. */
  readonly canInvite: boolean;
  /** Archived projects are left out of lists and answer 404, as the API documents. */
  readonly archived?: boolean;
}

/** The projects every fake Kantata has unless a test gives its own. */
export const DEFAULT_KANTATA_WORKSPACES: Readonly<Record<string, FakeKantataWorkspace>> = {
  '12345': { title: 'Acme Rollout', canInvite: true },
  '12346': { title: 'Acme Rollout Phase 2', canInvite: true },
  '777': { title: 'Locked Project', canInvite: false },
  '888': { title: 'Acme Archive', canInvite: true, archived: true },
};

export interface FakeKantataOptions {
  readonly token: string;
  readonly workspaces?: Readonly<Record<string, FakeKantataWorkspace>>;
  /** Accepted invite requests per sliding second; above it 429 (without Retry-After unless given). */
  readonly invitesPerSecond?: number;
  readonly retryAfterSeconds?: number;
  /** Per-invitee behaviour, e.g. refusing one address with 422; checked after auth and body validation. */
  readonly refuse?: (invitation: { email: string; fullName: string; role: string }) => FakeResponse | undefined;
  /** Accepted `GET /workspaces` requests per sliding second (its own limit, as documented); above it 429. */
  readonly listsPerSecond?: number;
}

export interface AcceptedKantataInvitation {
  readonly id: string;
  readonly workspaceId: string;
  readonly fullName: string;
  readonly email: string;
  readonly role: string;
  readonly subject?: string;
  readonly message?: string;
}

export const KANTATA_BASE_PATH = '/api/v1';

/** The documented error body: `{"errors":[{"type","message"}]}`. */
export function kantataError(status: number, type: string, message: string, extra: Record<string, string> = {}): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...extra },
    body: JSON.stringify({ errors: [{ type, message }] }),
  };
}

const json = (status: number, body: unknown): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

function workspaceJson(id: string, workspace: FakeKantataWorkspace) {
  return { id, title: workspace.title, can_invite: workspace.canInvite, archived: workspace.archived === true, created_at: '2026-01-05T10:00:00-08:00' };
}

// What the real API accepts as an address is not published; this is a plain sanity check like any server's.
const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Kantata OX as its documents describe it: Bearer auth on every request, one invitee per
 * `POST /workspaces/{id}/invite` (with or without `.json`), the documented success and error bodies,
 * 403 for projects the token's user may not invite to, 404 for unknown ones, and an unpublished rate limit.
 */
export class FakeKantata {
  readonly server: FakeServer;
  readonly invitations: AcceptedKantataInvitation[] = [];
  rateLimited = 0;
  /** Makes every workspace lookup (list or single) this slow, to exercise time boxes. */
  lookupDelayMs = 0;
  private nextId = 9000;
  private readonly limiter: SlidingWindowLimiter | undefined;
  private readonly listLimiter: SlidingWindowLimiter | undefined;
  private readonly workspaces: Readonly<Record<string, FakeKantataWorkspace>>;

  constructor(private readonly options: FakeKantataOptions) {
    this.workspaces = options.workspaces ?? DEFAULT_KANTATA_WORKSPACES;
    this.limiter = options.invitesPerSecond ? new SlidingWindowLimiter(options.invitesPerSecond) : undefined;
    this.listLimiter = options.listsPerSecond ? new SlidingWindowLimiter(options.listsPerSecond) : undefined;
    this.server = new FakeServer((request) => this.handle(request));
  }

  static async start(options: FakeKantataOptions): Promise<FakeKantata> {
    const fake = new FakeKantata(options);
    await fake.server.start();
    return fake;
  }

  /** Base URL to configure as KANTATA_API_URL. */
  get apiUrl(): string {
    return this.server.url + KANTATA_BASE_PATH;
  }

  get inviteRequests(): RecordedRequest[] {
    return this.server.requestsTo(/\/invite(\.json)?$/);
  }

  get lookupRequests(): RecordedRequest[] {
    return this.server.requests.filter((request) => request.method === 'GET' && request.path.startsWith(`${KANTATA_BASE_PATH}/workspaces`));
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(request: RecordedRequest): FakeResponse {
    if (bearerToken(request) !== this.options.token) {
      return kantataError(401, 'oauth', 'Invalid OAuth 2 Request');
    }
    const url = new URL(request.path, 'http://kantata.invalid');
    const single = new RegExp(`^${KANTATA_BASE_PATH}/workspaces/([^/.]+)(?:\\.json)?$`).exec(url.pathname);
    const list = new RegExp(`^${KANTATA_BASE_PATH}/workspaces(?:\\.json)?$`).test(url.pathname);
    if (request.method === 'GET' && (single || list)) {
      if (this.listLimiter && !this.listLimiter.tryTake()) {
        this.rateLimited += 1;
        return { ...kantataError(429, 'system', 'Too many requests'), delayMs: this.lookupDelayMs };
      }
      const answer = single ? this.showWorkspace(decodeURIComponent(single[1] ?? '')) : this.listWorkspaces(url.searchParams);
      return { ...answer, delayMs: this.lookupDelayMs };
    }
    if (request.method === 'GET' && new RegExp(`^${KANTATA_BASE_PATH}/users/me(?:\\.json)?$`).test(request.path)) {
      return json(200, { count: 1, results: [{ key: 'users', id: '42' }], users: { '42': { id: '42', full_name: 'Connector User' } } });
    }
    const invite = new RegExp(`^${KANTATA_BASE_PATH}/workspaces/([^/]+)/invite(?:\\.json)?$`).exec(request.path);
    if (!invite || request.method !== 'POST') return kantataError(404, 'system', 'Not found');
    if (this.limiter && !this.limiter.tryTake()) {
      this.rateLimited += 1;
      const retryAfter = this.options.retryAfterSeconds;
      return kantataError(429, 'system', 'Too many requests', retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {});
    }
    return this.invite(decodeURIComponent(invite[1] ?? ''), request);
  }

  /** `GET /workspaces/{id}`: 404 for unknown and archived projects. */
  private showWorkspace(id: string): FakeResponse {
    const workspace = this.workspaces[id];
    if (!workspace || workspace.archived) return kantataError(404, 'system', `Workspace ${id} could not be found`);
    return json(200, { count: 1, results: [{ key: 'workspaces', id }], workspaces: { [id]: workspaceJson(id, workspace) } });
  }

  /**
   * `GET /workspaces` with the documented parameters: `search` (every keyword in the title, or
   * `title:'text'`), `matching` (a title word starts with it), `only`, `per_page` (at most 200), `page`;
   * archived projects left out unless `include_archived=true`.
   */
  private listWorkspaces(params: URLSearchParams): FakeResponse {
    const perPage = Number(params.get('per_page') ?? '20');
    const page = Number(params.get('page') ?? '1');
    if (!Number.isInteger(perPage) || perPage < 1 || !Number.isInteger(page) || page < 1) {
      return kantataError(400, 'system', 'per_page and page must be positive whole numbers');
    }
    const search = params.get('search')?.trim().toLowerCase() ?? '';
    const titleSearch = /^title:'(.*)'$/.exec(search)?.[1];
    const keywords = (titleSearch !== undefined ? [titleSearch] : search.split(/\s+/)).filter((word) => word.length > 0);
    const matching = params.get('matching')?.trim().toLowerCase();
    const only = params.get('only')?.split(',').map((id) => id.trim());
    const matches = Object.entries(this.workspaces).filter(([id, workspace]) => {
      const title = workspace.title.toLowerCase();
      if (workspace.archived && params.get('include_archived') !== 'true') return false;
      if (only && !only.includes(id)) return false;
      if (matching && !title.split(/\s+/).some((word) => word.startsWith(matching))) return false;
      return keywords.every((word) => title.includes(word));
    });
    const size = Math.min(perPage, 200);
    const shown = matches.slice((page - 1) * size, page * size);
    return json(200, {
      count: matches.length,
      meta: { count: matches.length, page_count: Math.ceil(matches.length / size), page_number: page, page_size: size },
      results: shown.map(([id]) => ({ key: 'workspaces', id })),
      workspaces: Object.fromEntries(shown.map(([id, workspace]) => [id, workspaceJson(id, workspace)])),
    });
  }

  private invite(workspaceId: string, request: RecordedRequest): FakeResponse {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return kantataError(400, 'system', 'Content-Type must be application/json');
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return kantataError(400, 'system', 'Request body is not valid JSON');
    }
    const invitation = (body as { invitation?: unknown } | null)?.invitation;
    if (!invitation || typeof invitation !== 'object') return kantataError(400, 'system', 'param is missing: invitation');
    const workspace = this.workspaces[workspaceId];
    if (!workspace || workspace.archived) return kantataError(404, 'system', `Workspace ${workspaceId} could not be found`);
    if (!workspace.canInvite) return kantataError(403, 'system', 'You are not authorized to invite users to this workspace');

    const fields = invitation as Record<string, unknown>;
    const problems: string[] = [];
    const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
    if (!text('full_name')?.trim()) problems.push("Full name can't be blank");
    if (!PLAUSIBLE_EMAIL.test(text('email_address') ?? '')) problems.push('Email address is invalid');
    if (!['maven', 'buyer'].includes(text('invitee_role') ?? '')) problems.push('Invitee role must be maven or buyer');
    if (problems.length > 0) {
      return json(422, { errors: problems.map((message) => ({ type: 'validation', message })) });
    }

    const refusal = this.options.refuse?.({
      email: text('email_address') ?? '',
      fullName: text('full_name') ?? '',
      role: text('invitee_role') ?? '',
    });
    if (refusal) return refusal;

    const id = String((this.nextId += 1));
    const accepted: AcceptedKantataInvitation = {
      id,
      workspaceId,
      fullName: text('full_name') ?? '',
      email: text('email_address') ?? '',
      role: text('invitee_role') ?? '',
      ...(text('subject') !== undefined ? { subject: text('subject') } : {}),
      ...(text('message') !== undefined ? { message: text('message') } : {}),
    };
    this.invitations.push(accepted);
    return json(200, {
      count: 1,
      meta: { count: 1, page_count: 1, page_number: 1, page_size: 20 },
      results: [{ key: 'workspace_invitations', id }],
      workspace_invitations: {
        [id]: {
          id,
          email_address: accepted.email,
          full_name: accepted.fullName,
          invitee_role: accepted.role,
          subject: accepted.subject ?? null,
          message: accepted.message ?? null,
        },
      },
    });
  }
}
