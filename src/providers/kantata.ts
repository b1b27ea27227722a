import { z } from 'zod';
import type { KantataRole } from '../invitations/request.js';
import { AdaptivePacer, DEFAULT_PACER_OPTIONS } from './adaptive-pacer.js';
import { errorForStatus, errorForUnreadableBody, ProviderError, UnexpectedResponseError } from './errors.js';
import { headerValue, parseJson, UpstreamHttp, type UpstreamObserver, type UpstreamRequest, type UpstreamResponse } from './http.js';
import { LOOKUP_RETRY_POLICY } from './lookup.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, systemClock, withRetries, type CallControl, type Clock, type Pacer, type RetryPolicy } from './retry.js';

export interface KantataInvitation {
  readonly fullName: string;
  readonly email: string;
  readonly role: KantataRole;
  readonly subject?: string;
  readonly message?: string;
}

export interface KantataClientOptions {
  readonly apiUrl: string;
  readonly apiToken: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Shared by every invitation this client sends: the limit belongs to the token, not to one request. */
  readonly pacer?: Pacer;
  readonly onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
  /** Configured credentials, scrubbed from anything a response echoes back. */
  readonly secrets?: readonly string[];
  /** Workspace lookups: someone is waiting on a form, so they are retried briefly, if at all. */
  readonly lookupRetryPolicy?: RetryPolicy;
  readonly observe?: UpstreamObserver;
}

/** A project as `GET /workspaces` describes it. */
export interface KantataWorkspace {
  readonly id: string;
  readonly title: string;
  /** Whether the token's user may invite people to it. */
  readonly canInvite: boolean;
  readonly archived: boolean;
  /** What the project calls its two teams: `consultant_role_name` (maven) and `client_role_name` (buyer). */
  readonly teams?: { readonly maven: string; readonly buyer: string };
}

/** Someone on a project, as `GET /participations?include=user` describes them. */
export interface KantataParticipant {
  readonly email: string;
  readonly role: KantataRole;
}

/** Participants are read this many pages at most (200 each): a project larger than that is left partly unread. */
const MAX_PARTICIPANT_PAGES = 10;

/** `GET /workspaces` returns at most this many per page. */
export const KANTATA_MAX_PER_PAGE = 200;

/** Kantata answers list what they return in `results`, as `{key, id}` pairs; that list is canonical. */
const resultsSchema = z.object({
  results: z.array(z.object({ key: z.string(), id: z.union([z.string(), z.number()]) })),
});

const invitationResponseSchema = resultsSchema;

const errorResponseSchema = z.object({
  errors: z
    .array(z.object({ type: z.string().optional(), message: z.string(), field: z.string().optional() }))
    .min(1),
});

export class KantataClient {
  private readonly http: UpstreamHttp;
  /** Lookups have their own connections, so a burst of searches never holds up an invitation. */
  private readonly lookupHttp: UpstreamHttp;
  private readonly clock: Clock;
  private readonly pacer: Pacer;

  constructor(private readonly options: KantataClientOptions) {
    const httpOptions = {
      service: 'kantata' as const,
      baseUrl: options.apiUrl,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.observe ? { observe: options.observe } : {}),
    };
    this.http = new UpstreamHttp(httpOptions);
    this.lookupHttp = new UpstreamHttp({ ...httpOptions, connections: 2 });
    this.clock = options.clock ?? systemClock;
    this.pacer = options.pacer ?? new AdaptivePacer({ ...DEFAULT_PACER_OPTIONS, clock: this.clock });
  }

  /** `POST /workspaces/{id}/invite`, one invitee per call, as the API requires. */
  async inviteToWorkspace(workspaceId: string, invitation: KantataInvitation, control: CallControl = {}): Promise<{ invitationId: string }> {
    const body = JSON.stringify({
      invitation: {
        full_name: invitation.fullName,
        email_address: invitation.email,
        invitee_role: invitation.role,
        ...(invitation.subject !== undefined ? { subject: invitation.subject } : {}),
        ...(invitation.message !== undefined ? { message: invitation.message } : {}),
      },
    });
    const response = await this.call(
      {
        operation: 'invite',
        method: 'POST',
        path: `/workspaces/${encodeURIComponent(workspaceId)}/invite`,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body,
      },
      { pacer: this.pacer, control },
    );
    const parsed = invitationResponseSchema.safeParse(parseJson(response.body));
    const created = parsed.success ? parsed.data.results.find((r) => r.key === 'workspace_invitations') : undefined;
    if (!created) {
      throw new UnexpectedResponseError('kantata', { status: response.status, upstreamMessage: 'no workspace invitation in the answer' });
    }
    return { invitationId: String(created.id) };
  }

  /** `GET /users/me`: who the token acts as; a harmless credentials check. */
  async whoAmI(): Promise<{ id: string; name?: string }> {
    const response = await this.call({ operation: 'users_me', method: 'GET', path: '/users/me', headers: { accept: 'application/json' } });
    const parsed = userResponseSchema.safeParse(parseJson(response.body));
    const id = parsed.success ? parsed.data.results.find((r) => r.key === 'users')?.id : undefined;
    if (!parsed.success || id === undefined) {
      throw new UnexpectedResponseError('kantata', { status: response.status, upstreamMessage: 'no user in the answer' });
    }
    const name = parsed.data.users?.[String(id)]?.full_name;
    return { id: String(id), ...(name ? { name } : {}) };
  }

  /**
   * `GET /workspaces`: projects matching Kantata's keyword `search` (all of them without one), archived
   * ones excluded by the API, in the API's order. Callers filter on `canInvite`.
   */
  async listWorkspaces(search?: string): Promise<KantataWorkspace[]> {
    const query = new URLSearchParams({ per_page: String(KANTATA_MAX_PER_PAGE), page: '1' });
    if (search?.trim()) query.set('search', search.trim());
    return this.readWorkspaces(await this.lookup(`/workspaces?${query.toString()}`));
  }

  /**
   * `GET /participations?workspace_id=…&include=user`, every page: who is on the project and on which team.
   * Participants without a readable address are left out.
   */
  async participants(workspaceId: string): Promise<KantataParticipant[]> {
    const found: KantataParticipant[] = [];
    for (let page = 1; page <= MAX_PARTICIPANT_PAGES; page += 1) {
      const query = new URLSearchParams({ workspace_id: workspaceId, include: 'user', per_page: String(KANTATA_MAX_PER_PAGE), page: String(page) });
      const response = await this.call({ operation: 'participations', method: 'GET', path: `/participations?${query.toString()}`, headers: { accept: 'application/json' } }, { lookup: true });
      const parsed = participationListSchema.safeParse(parseJson(response.body));
      if (!parsed.success) throw new UnexpectedResponseError('kantata', { status: response.status, upstreamMessage: 'no participation list in the answer' });
      const { results, participations, users = {} } = parsed.data;
      for (const result of results.filter((entry) => entry.key === 'participations')) {
        const participation = participations[String(result.id)];
        const email = participation ? users[String(participation.user_id)]?.email_address : undefined;
        if (participation && email && (participation.role === 'maven' || participation.role === 'buyer')) found.push({ email, role: participation.role });
      }
      if (results.length < KANTATA_MAX_PER_PAGE) break;
    }
    return found;
  }

  /** `GET /workspaces/{id}`: one project, or undefined when Kantata has none by that id (or it is archived). */
  async getWorkspace(workspaceId: string): Promise<KantataWorkspace | undefined> {
    try {
      const [workspace] = this.readWorkspaces(await this.lookup(`/workspaces/${encodeURIComponent(workspaceId)}`));
      return workspace;
    } catch (error) {
      if (error instanceof ProviderError && error.status === 404) return undefined;
      throw error;
    }
  }

  close(): Promise<void> {
    return Promise.all([this.http.close(), this.lookupHttp.close()]).then(() => undefined);
  }

  private lookup(path: string): Promise<UpstreamResponse> {
    return this.call({ operation: 'workspaces', method: 'GET', path, headers: { accept: 'application/json' } }, { lookup: true });
  }

  private readWorkspaces(response: UpstreamResponse): KantataWorkspace[] {
    const parsed = workspaceListSchema.safeParse(parseJson(response.body));
    if (!parsed.success) throw new UnexpectedResponseError('kantata', { status: response.status, upstreamMessage: 'no workspace list in the answer' });
    const { results, workspaces } = parsed.data;
    return results
      .filter((result) => result.key === 'workspaces')
      .flatMap((result) => {
        const workspace = workspaces[String(result.id)];
        if (!workspace) return [];
        const teams = workspace.consultant_role_name && workspace.client_role_name ? { maven: workspace.consultant_role_name, buyer: workspace.client_role_name } : undefined;
        return [{ id: String(result.id), title: workspace.title, canInvite: workspace.can_invite === true, archived: workspace.archived === true, ...(teams ? { teams } : {}) }];
      });
  }

  /**
   * Every Kantata call: the token attached, retried by the shared policy, paced where the endpoint is
   * limited; lookups on their own connections with their own short retry policy.
   */
  private call(request: UpstreamRequest, how: { pacer?: Pacer; lookup?: boolean; control?: CallControl } = {}): Promise<UpstreamResponse> {
    const authorized = { ...request, headers: { ...request.headers, authorization: `Bearer ${this.options.apiToken}` } };
    const { pacer, lookup = false, control = {} } = how;
    const http = lookup ? this.lookupHttp : this.http;
    return withRetries(async () => checkKantataResponse(await http.send(authorized), this.clock.now()), {
      policy: lookup ? (this.options.lookupRetryPolicy ?? LOOKUP_RETRY_POLICY) : (this.options.retryPolicy ?? DEFAULT_RETRY_POLICY),
      clock: this.clock,
      ...(pacer ? { pacer } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
      ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
      ...control,
    });
  }
}

const workspaceListSchema = resultsSchema.extend({
  workspaces: z.record(
    z.string(),
    z.object({
      title: z.string(),
      can_invite: z.boolean().nullish(),
      archived: z.boolean().nullish(),
      consultant_role_name: z.string().nullish(),
      client_role_name: z.string().nullish(),
    }),
  ),
});

const participationListSchema = resultsSchema.extend({
  participations: z.record(z.string(), z.object({ user_id: z.union([z.string(), z.number()]), role: z.string().nullish() })),
  users: z.record(z.string(), z.object({ email_address: z.string().nullish() })).optional(),
});

const userResponseSchema = resultsSchema.extend({
  users: z.record(z.string(), z.object({ full_name: z.string().optional() })).optional(),
});

/** Returns a 2xx response as it is; turns anything else into the matching ProviderError. */
export function checkKantataResponse(response: UpstreamResponse, nowMs: number): UpstreamResponse {
  if (response.status >= 200 && response.status < 300) return response;
  const retryAfterMs = parseRetryAfter(headerValue(response, 'retry-after'), nowMs);
  const parsed = errorResponseSchema.safeParse(parseJson(response.body));
  const common = { status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (parsed.success) {
    const [first] = parsed.data.errors;
    throw errorForStatus('kantata', {
      ...common,
      ...(first?.type ? { code: first.type } : {}),
      upstreamMessage: parsed.data.errors.map(describeKantataError).join('; '),
    });
  }
  throw errorForUnreadableBody('kantata', common);
}

/** Prefixes the field name unless the message already names it ("Full name can't be blank" for full_name). */
function describeKantataError(error: { message: string; field?: string | undefined }): string {
  const fieldWords = error.field?.replace(/_/g, ' ').toLowerCase();
  return fieldWords && !error.message.toLowerCase().includes(fieldWords) ? `${error.field}: ${error.message}` : error.message;
}
