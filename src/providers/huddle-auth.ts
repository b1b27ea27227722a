import { z } from 'zod';
import type { HuddleAuthConfig } from '../config.js';
import { AuthenticationError, ProviderError, RateLimitError, ServiceUnavailableError } from './errors.js';
import { headerValue, parseJson, UpstreamHttp, type UpstreamObserver } from './http.js';
import { parseRetryAfter, systemClock, type Clock } from './retry.js';
import { runtimeSecrets } from '../secrets.js';

/** Supplies the `Authorization` header for Huddle, whatever form the credentials take. */
export interface HuddleCredentials {
  authorization(): Promise<string>;
  /**
   * Called after a 401 for the header that was rejected. True when a different credential is now available
   * and one more attempt is worthwhile; Basic credentials never are (repeated failures lock the account).
   */
  renewAfterRejection(rejectedAuthorization: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface HuddleCredentialsOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly clock?: Clock;
  /** Configured credentials, scrubbed from anything a response echoes back. */
  readonly secrets?: readonly string[];
  readonly observe?: UpstreamObserver;
}

export function createHuddleCredentials(auth: HuddleAuthConfig, options: HuddleCredentialsOptions): HuddleCredentials {
  switch (auth.kind) {
    case 'bearer':
      return fixedCredentials(`Bearer ${auth.token}`);
    case 'basic':
      return fixedCredentials(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
    case 'client_credentials':
      return new ClientCredentialsToken(auth, options);
  }
}

function fixedCredentials(header: string): HuddleCredentials {
  return {
    authorization: () => Promise.resolve(header),
    renewAfterRejection: () => Promise.resolve(false),
    close: () => Promise.resolve(),
  };
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

const tokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/** Renew this long before expiry at least, so a request never leaves with a token about to lapse. */
const MIN_RENEWAL_MARGIN_MS = 60_000;

interface CachedToken {
  readonly header: string;
  readonly renewAt: number;
}

/**
 * OAuth2 client-credentials grant. Tokens last `expires_in` seconds (a day) with no refresh token, so the
 * grant is simply repeated before expiry, and once more when Huddle rejects the token early.
 */
export class ClientCredentialsToken implements HuddleCredentials {
  private readonly http: UpstreamHttp;
  private readonly tokenPath: string;
  private readonly clock: Clock;
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;

  constructor(
    private readonly auth: Extract<HuddleAuthConfig, { kind: 'client_credentials' }>,
    options: HuddleCredentialsOptions,
  ) {
    const url = new URL(auth.tokenUrl);
    this.tokenPath = url.pathname + url.search;
    this.http = new UpstreamHttp({
      service: 'huddle',
      baseUrl: url.origin,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.observe ? { observe: options.observe } : {}),
      connections: 1,
    });
    this.clock = options.clock ?? systemClock;
  }

  async authorization(): Promise<string> {
    const cached = this.cached;
    if (cached && this.clock.now() < cached.renewAt) return cached.header;
    return (await this.fetchOnce()).header;
  }

  async renewAfterRejection(rejectedAuthorization: string): Promise<boolean> {
    if (this.cached?.header === rejectedAuthorization) this.cached = undefined;
    const fresh = await this.fetchOnce();
    return fresh.header !== rejectedAuthorization;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Concurrent callers share one grant request. */
  private fetchOnce(): Promise<CachedToken> {
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<CachedToken> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.auth.clientId,
      client_secret: this.auth.clientSecret,
    });
    let response;
    try {
      response = await this.http.send({
        operation: 'token',
        method: 'POST',
        path: this.tokenPath,
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } catch (error) {
      // Asking for a token changes nothing, so a lost answer here still means the invitation was not sent.
      throw error instanceof ProviderError && error.mayHaveBeenProcessed
        ? new ServiceUnavailableError('huddle', { upstreamMessage: 'the token service gave no answer', cause: error })
        : error;
    }
    const now = this.clock.now();
    const body = parseJson(response.body);
    if (response.status >= 200 && response.status < 300) {
      const token = tokenResponseSchema.safeParse(body);
      if (!token.success) {
        throw new ServiceUnavailableError('huddle', { status: response.status, upstreamMessage: 'the token service sent no usable token' });
      }
      const lifetimeMs = token.data.expires_in * 1000;
      const margin = Math.min(lifetimeMs / 2, Math.max(MIN_RENEWAL_MARGIN_MS, lifetimeMs / 10));
      runtimeSecrets.add(token.data.access_token);
      this.cached = { header: `Bearer ${token.data.access_token}`, renewAt: now + lifetimeMs - margin };
      return this.cached;
    }
    const retryAfterMs = parseRetryAfter(headerValue(response, 'retry-after'), now);
    const details = { status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (response.status === 429) throw new RateLimitError('huddle', details);
    if (response.status >= 500) throw new ServiceUnavailableError('huddle', { ...details, upstreamMessage: 'the token service failed' });
    const error = tokenErrorSchema.safeParse(body);
    throw new AuthenticationError('huddle', {
      ...details,
      ...(error.success ? { code: error.data.error, upstreamMessage: error.data.error_description ?? error.data.error } : {}),
    });
  }
}
