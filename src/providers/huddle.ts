import { z } from 'zod';
import { errorForStatus, errorForUnreadableBody, UnexpectedResponseError, type ProviderError } from './errors.js';
import type { HuddleCredentials } from './huddle-auth.js';
import { buildInvitationRequestXml, parseHuddleErrorXml } from './huddle-xml.js';
import { headerValue, parseJson, UpstreamHttp, type UpstreamObserver, type UpstreamRequest, type UpstreamResponse } from './http.js';
import { LOOKUP_RETRY_POLICY } from './lookup.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, systemClock, withRetries, type CallControl, type Clock, type RetryPolicy } from './retry.js';

export interface HuddleClientOptions {
  readonly apiUrl: string;
  readonly credentials: HuddleCredentials;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
  /** Configured credentials, scrubbed from anything a response echoes back. */
  readonly secrets?: readonly string[];
  /** The workspace list: someone is waiting on a form, so it is retried briefly, if at all. */
  readonly lookupRetryPolicy?: RetryPolicy;
  readonly observe?: UpstreamObserver;
}

export class HuddleClient {
  private readonly http: UpstreamHttp;
  /** Lookups have their own connections, so a burst of searches never holds up an invitation. */
  private readonly lookupHttp: UpstreamHttp;
  private readonly clock: Clock;

  constructor(private readonly options: HuddleClientOptions) {
    const httpOptions = {
      service: 'huddle' as const,
      baseUrl: options.apiUrl,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.observe ? { observe: options.observe } : {}),
    };
    this.http = new UpstreamHttp(httpOptions);
    this.lookupHttp = new UpstreamHttp({ ...httpOptions, connections: 2 });
    this.clock = options.clock ?? systemClock;
  }

  /** `POST /v1/xml/workspaces/{id}/invite`: every address in one call; Huddle answers 202 Accepted. */
  async inviteToWorkspace(workspaceId: string, addresses: readonly string[], message?: string, control: CallControl = {}): Promise<void> {
    const request: UpstreamRequest = {
      operation: 'invite',
      method: 'POST',
      path: `/v1/xml/workspaces/${encodeURIComponent(workspaceId)}/invite`,
      headers: { accept: 'application/xml', 'content-type': 'application/xml; charset=utf-8' },
      body: buildInvitationRequestXml(addresses, message),
    };
    await this.call(request, { control });
  }

  /** The classic `GET /v1/json/workspaces`: every workspace the account can see (also a harmless credentials check). */
  async listWorkspaces(): Promise<{ id: string; title: string }[]> {
    const response = await this.call({ operation: 'workspaces', method: 'GET', path: '/v1/json/workspaces', headers: { accept: 'application/json' } }, { lookup: true });
    const parsed = workspaceListSchema.safeParse(parseJson(response.body));
    if (!parsed.success) throw new UnexpectedResponseError('huddle', { status: response.status, upstreamMessage: 'no workspace list in the answer' });
    return parsed.data.Data.map((workspace) => ({ id: String(workspace.Id), title: workspace.Title }));
  }

  close(): Promise<void> {
    return Promise.all([this.http.close(), this.lookupHttp.close(), this.options.credentials.close()]).then(() => undefined);
  }

  /** Every Huddle call: authorized, retried by the shared policy, and checked; lookups on their own connections. */
  private call(request: UpstreamRequest, { lookup = false, control = {} }: { lookup?: boolean; control?: CallControl } = {}): Promise<UpstreamResponse> {
    const http = lookup ? this.lookupHttp : this.http;
    return withRetries(() => this.sendAuthorized(request, http), {
      policy: lookup ? (this.options.lookupRetryPolicy ?? LOOKUP_RETRY_POLICY) : (this.options.retryPolicy ?? DEFAULT_RETRY_POLICY),
      clock: this.clock,
      ...(this.options.random ? { random: this.options.random } : {}),
      ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
      ...control,
    });
  }

  /** A 401 is answered once with renewed credentials, where the credential kind can be renewed at all. */
  private async sendAuthorized(request: UpstreamRequest, http: UpstreamHttp): Promise<UpstreamResponse> {
    const { credentials } = this.options;
    const send = (authorization: string) => http.send({ ...request, headers: { ...request.headers, authorization } });
    const authorization = await credentials.authorization();
    let response = await send(authorization);
    if (response.status === 401 && (await credentials.renewAfterRejection(authorization))) {
      response = await send(await credentials.authorization());
    }
    return checkHuddleResponse(response, this.clock.now());
  }
}

const workspaceListSchema = z.object({
  Data: z.array(z.object({ Id: z.union([z.string(), z.number()]), Title: z.string() })),
});

/** Returns a 2xx response as it is; turns anything else into the matching ProviderError. */
export function checkHuddleResponse(response: UpstreamResponse, nowMs: number): UpstreamResponse {
  if (response.status >= 200 && response.status < 300) return response;
  const retryAfterMs = parseRetryAfter(headerValue(response, 'retry-after'), nowMs);
  const common = { status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  const parsed = parseHuddleErrorXml(response.body);
  if (parsed) {
    throw errorForStatus('huddle', {
      ...common,
      ...(parsed.code !== undefined ? { code: parsed.code } : {}),
      ...(parsed.message !== undefined ? { upstreamMessage: parsed.message } : {}),
    });
  }
  throw errorForUnreadableBody('huddle', common);
}
