import { z } from 'zod';
import type { KantataRole } from '../invitations/request.js';
import { AdaptivePacer, DEFAULT_PACER_OPTIONS } from './adaptive-pacer.js';
import { errorForStatus, errorForUnreadableBody, UnexpectedResponseError, type ProviderError } from './errors.js';
import { headerValue, parseJson, UpstreamHttp, type UpstreamRequest, type UpstreamResponse } from './http.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, systemClock, withRetries, type Clock, type Pacer, type RetryPolicy } from './retry.js';

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
}

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
  private readonly clock: Clock;
  private readonly pacer: Pacer;

  constructor(private readonly options: KantataClientOptions) {
    this.http = new UpstreamHttp({
      service: 'kantata',
      baseUrl: options.apiUrl,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      ...(options.secrets ? { secrets: options.secrets } : {}),
    });
    this.clock = options.clock ?? systemClock;
    this.pacer = options.pacer ?? new AdaptivePacer({ ...DEFAULT_PACER_OPTIONS, clock: this.clock });
  }

  /** `POST /workspaces/{id}/invite`, one invitee per call, as the API requires. */
  async inviteToWorkspace(workspaceId: string, invitation: KantataInvitation): Promise<{ invitationId: string }> {
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
        method: 'POST',
        path: `/workspaces/${encodeURIComponent(workspaceId)}/invite`,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body,
      },
      this.pacer,
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
    const response = await this.call({ method: 'GET', path: '/users/me', headers: { accept: 'application/json' } });
    const parsed = userResponseSchema.safeParse(parseJson(response.body));
    const id = parsed.success ? parsed.data.results.find((r) => r.key === 'users')?.id : undefined;
    if (!parsed.success || id === undefined) {
      throw new UnexpectedResponseError('kantata', { status: response.status, upstreamMessage: 'no user in the answer' });
    }
    const name = parsed.data.users?.[String(id)]?.full_name;
    return { id: String(id), ...(name ? { name } : {}) };
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Every Kantata call: the token attached, retried by the shared policy, paced where the endpoint is limited. */
  private call(request: UpstreamRequest, pacer?: Pacer): Promise<UpstreamResponse> {
    const authorized = { ...request, headers: { ...request.headers, authorization: `Bearer ${this.options.apiToken}` } };
    return withRetries(async () => checkKantataResponse(await this.http.send(authorized), this.clock.now()), {
      policy: this.options.retryPolicy ?? DEFAULT_RETRY_POLICY,
      clock: this.clock,
      ...(pacer ? { pacer } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
      ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
    });
  }
}

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
