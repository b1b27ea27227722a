import { bearerToken, FakeServer, SlidingWindowLimiter, type FakeResponse, type RecordedRequest } from './fake-server.js';

export interface FakeKantataWorkspace {
  readonly title: string;
  /** Whether the token's user may invite to it; false answers 403. */
  readonly canInvite: boolean;
  /** Archived projects are left out of lists and answer 404, as the API documents. */
  readonly archived?: boolean;
  /** `consultant_role_name` and `client_role_name`: what the project calls its two teams. */
  readonly teams?: { readonly maven: string; readonly buyer: string };
}

/** Someone on a project. */
export interface FakeKantataParticipant {
  readonly email: string;
  readonly fullName: string;
  readonly role: 'maven' | 'buyer';
}

/** The projects every fake Kantata has unless a test gives its own. */
export const DEFAULT_KANTATA_WORKSPACES: Readonly<Record<string, FakeKantataWorkspace>> = {
  '12345': { title: 'Acme Rollout', canInvite: true, teams: { maven: 'Northwind Agency', buyer: 'Acme Corp' } },
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
  /** A slow service: each invitation is acted on at once but answered this much later. */
  readonly inviteDelayMs?: number;
  /** Who is on each project already, by workspace id. */
  readonly participants?: Readonly<Record<string, readonly FakeKantataParticipant[]>>;
  /** Addresses of people with a Kantata account: invited, they are added to the project at once. */
  readonly existingUsers?: readonly string[];
}

/** A Kantata user with a token of their own (from the OAuth fake): they see and may invite to their own projects. */
export interface FakeKantataPerson {
  readonly id: string;
  readonly fullName: string;
  /** What this user sees, and may invite to; the shared projects unless given. */
  readonly workspaces?: Readonly<Record<string, FakeKantataWorkspace>>;
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
  return {
    id,
    title: workspace.title,
    can_invite: workspace.canInvite,
    archived: workspace.archived === true,
    created_at: '2026-01-05T10:00:00-08:00',
    ...(workspace.teams ? { consultant_role_name: workspace.teams.maven, client_role_name: workspace.teams.buyer } : {}),
  };
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
  /** Makes every participations lookup this slow. */
  participationsDelayMs = 0;
  /** Who is on each project, by workspace id: tests add people (someone accepting an invitation, say). */
  readonly participants = new Map<string, FakeKantataParticipant[]>();
  private readonly existingUsers: Set<string>;
  private nextId = 9000;
  private readonly limiter: SlidingWindowLimiter | undefined;
  private readonly listLimiter: SlidingWindowLimiter | undefined;
  private readonly workspaces: Readonly<Record<string, FakeKantataWorkspace>>;
  /** Tokens people were granted (through the OAuth fake), and whose they are. */
  private readonly people = new Map<string, FakeKantataPerson>();
  private readonly revoked = new Set<string>();

  constructor(private readonly options: FakeKantataOptions) {
    this.workspaces = options.workspaces ?? DEFAULT_KANTATA_WORKSPACES;
    this.limiter = options.invitesPerSecond ? new SlidingWindowLimiter(options.invitesPerSecond) : undefined;
    this.listLimiter = options.listsPerSecond ? new SlidingWindowLimiter(options.listsPerSecond) : undefined;
    for (const [workspaceId, people] of Object.entries(options.participants ?? {})) this.participants.set(workspaceId, [...people]);
    this.existingUsers = new Set((options.existingUsers ?? []).map((email) => email.toLowerCase()));
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

  get participationRequests(): RecordedRequest[] {
    return this.server.requests.filter((request) => request.method === 'GET' && request.path.startsWith(`${KANTATA_BASE_PATH}/participations`));
  }

  /** Puts someone on a project, as accepting an invitation (or being added by a manager) does. */
  addParticipant(workspaceId: string, participant: FakeKantataParticipant): void {
    this.participants.set(workspaceId, [...(this.participants.get(workspaceId) ?? []), participant]);
  }

  get lookupRequests(): RecordedRequest[] {
    return this.server.requests.filter((request) => request.method === 'GET' && request.path.startsWith(`${KANTATA_BASE_PATH}/workspaces`));
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** A token the OAuth fake granted `person`: valid from now on, until revoked. */
  acceptPersonToken(token: string, person: FakeKantataPerson): void {
    this.people.set(token, person);
  }

  /** The user revoked the application (or an administrator did): the token answers 401 from now on. */
  revokeToken(token: string): void {
    this.revoked.add(token);
  }

  private handle(request: RecordedRequest): FakeResponse {
    const token = bearerToken(request);
    const person = token !== undefined ? this.people.get(token) : undefined;
    if (token === undefined || this.revoked.has(token) || (token !== this.options.token && !person)) {
      return kantataError(401, 'oauth', 'Invalid OAuth 2 Request');
    }
    const workspaces = person?.workspaces ?? this.workspaces;
    const url = new URL(request.path, 'http://kantata.invalid');
    const single = new RegExp(`^${KANTATA_BASE_PATH}/workspaces/([^/.]+)(?:\\.json)?$`).exec(url.pathname);
    const list = new RegExp(`^${KANTATA_BASE_PATH}/workspaces(?:\\.json)?$`).test(url.pathname);
    if (request.method === 'GET' && (single || list)) {
      if (this.listLimiter && !this.listLimiter.tryTake()) {
        this.rateLimited += 1;
        return { ...kantataError(429, 'system', 'Too many requests'), delayMs: this.lookupDelayMs };
      }
      const answer = single ? this.showWorkspace(decodeURIComponent(single[1] ?? ''), workspaces) : this.listWorkspaces(url.searchParams, workspaces);
      return { ...answer, delayMs: this.lookupDelayMs };
    }
    if (request.method === 'GET' && new RegExp(`^${KANTATA_BASE_PATH}/participations(?:\\.json)?$`).test(url.pathname)) {
      return { ...this.listParticipations(url.searchParams), delayMs: this.participationsDelayMs };
    }
    if (request.method === 'GET' && new RegExp(`^${KANTATA_BASE_PATH}/users/me(?:\\.json)?$`).test(request.path)) {
      const me = person ?? { id: '42', fullName: 'Connector User' };
      return json(200, { count: 1, results: [{ key: 'users', id: me.id }], users: { [me.id]: { id: me.id, full_name: me.fullName, account_id: '1' } } });
    }
    const invite = new RegExp(`^${KANTATA_BASE_PATH}/workspaces/([^/]+)/invite(?:\\.json)?$`).exec(request.path);
    if (!invite || request.method !== 'POST') return kantataError(404, 'system', 'Not found');
    if (this.limiter && !this.limiter.tryTake()) {
      this.rateLimited += 1;
      const retryAfter = this.options.retryAfterSeconds;
      return kantataError(429, 'system', 'Too many requests', retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {});
    }
    const answer = this.invite(decodeURIComponent(invite[1] ?? ''), request, workspaces);
    return this.options.inviteDelayMs ? { ...answer, delayMs: this.options.inviteDelayMs } : answer;
  }

  /**
   * `GET /participations`: `workspace_id` is required (400 without it, as documented); `include=user` adds
   * each participant's user with `email_address`; paged with `per_page` (at most 200) and `page`.
   */
  private listParticipations(params: URLSearchParams): FakeResponse {
    const workspaceId = params.get('workspace_id');
    if (!workspaceId) return kantataError(400, 'system', 'workspace_id is required');
    const perPage = Math.min(Number(params.get('per_page') ?? '20'), 200);
    const page = Number(params.get('page') ?? '1');
    if (!Number.isInteger(perPage) || perPage < 1 || !Number.isInteger(page) || page < 1) return kantataError(400, 'system', 'per_page and page must be positive whole numbers');
    const people = this.participants.get(workspaceId) ?? [];
    const shown = people.slice((page - 1) * perPage, page * perPage).map((person, index) => ({ ...person, id: String(5000 + (page - 1) * perPage + index), userId: String(700 + people.indexOf(person)) }));
    const withUsers = params.get('include')?.split(',').includes('user') ?? false;
    return json(200, {
      count: people.length,
      meta: { count: people.length, page_count: Math.ceil(people.length / perPage), page_number: page, page_size: perPage },
      results: shown.map((person) => ({ key: 'participations', id: person.id })),
      participations: Object.fromEntries(shown.map((person) => [person.id, { id: person.id, user_id: person.userId, workspace_id: workspaceId, role: person.role }])),
      ...(withUsers ? { users: Object.fromEntries(shown.map((person) => [person.userId, { id: person.userId, full_name: person.fullName, email_address: person.email }])) } : {}),
    });
  }

  /** `GET /workspaces/{id}`: 404 for unknown and archived projects. */
  private showWorkspace(id: string, workspaces: Readonly<Record<string, FakeKantataWorkspace>>): FakeResponse {
    const workspace = workspaces[id];
    if (!workspace || workspace.archived) return kantataError(404, 'system', `Workspace ${id} could not be found`);
    return json(200, { count: 1, results: [{ key: 'workspaces', id }], workspaces: { [id]: workspaceJson(id, workspace) } });
  }

  /**
   * `GET /workspaces` with the documented parameters: `search` (every keyword in the title, or
   * `title:'text'`), `matching` (a title word starts with it), `only`, `per_page` (at most 200), `page`;
   * archived projects left out unless `include_archived=true`.
   */
  private listWorkspaces(params: URLSearchParams, workspaces: Readonly<Record<string, FakeKantataWorkspace>>): FakeResponse {
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
    const matches = Object.entries(workspaces).filter(([id, workspace]) => {
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

  private invite(workspaceId: string, request: RecordedRequest, workspaces: Readonly<Record<string, FakeKantataWorkspace>>): FakeResponse {
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
    const workspace = workspaces[workspaceId];
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
    // People who already have a Kantata account are added to the project at once, as documented.
    if (this.existingUsers.has(accepted.email.toLowerCase())) this.addParticipant(workspaceId, { email: accepted.email, fullName: accepted.fullName, role: accepted.role === 'maven' ? 'maven' : 'buyer' });
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
