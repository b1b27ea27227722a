import { z } from 'zod';
import type { IdentityConfig, LinkingClientConfig } from '../config.js';
import type { ServiceName } from '../invitations/request.js';
import { ProviderError } from '../providers/errors.js';
import { parseJson, UpstreamHttp, type UpstreamObserver, type UpstreamResponse } from '../providers/http.js';
import { KantataClient } from '../providers/kantata.js';

/** Tokens a service granted a person, in plain text: they live only in memory, sealed before they are stored. */
export interface GrantedTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** When the access token runs out (ms), when the service said. */
  readonly expiresAt?: number;
}

/** Who a token belongs to at the service. */
export interface ServiceAccount {
  readonly id: string;
  readonly name?: string;
}

/**
 * Why an OAuth call failed, as the pages and the sender need it: `invalid_grant` (the code or refresh
 * grant is spent, expired or revoked: on a refresh, the link is broken), `rejected` (the service refused
 * the bot's application: a wrong client id or secret, a redirect URI it does not know), `unavailable`
 * (it failed, was unreachable, or answered in a way we cannot read).
 */
export type OAuthFailure = 'invalid_grant' | 'rejected' | 'unavailable';

export class OAuthError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly failure: OAuthFailure,
    /** The service's HTTP status and OAuth error code, when it gave them: for logs and the error page. */
    readonly status?: number,
    readonly oauthCode?: string,
  ) {
    super(`${service} OAuth call failed: ${failure}${status !== undefined ? ` (HTTP ${status}${oauthCode ? `, ${oauthCode}` : ''})` : ''}`);
    this.name = 'OAuthError';
  }
}

/** One service's OAuth 2 authorization-code flow, as the link routes and the token refresher use it. */
export interface OAuthProvider {
  readonly service: ServiceName;
  /** Where the person's browser goes to sign in and allow the bot; `state` comes back to the callback. */
  authorizeUrl(state: string): string;
  exchangeCode(code: string): Promise<GrantedTokens>;
  refresh(refreshToken: string): Promise<GrantedTokens>;
  whoAmI(accessToken: string): Promise<ServiceAccount>;
  close(): Promise<void>;
}

export interface OAuthOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly now?: () => number;
  readonly observe?: UpstreamObserver;
  readonly secrets?: readonly string[];
  /** The API bases: whoAmI asks the API, not the login host. */
  readonly kantataApiUrl?: string;
  readonly huddleApiUrl?: string;
}

/** The address the service sends the browser back to; registered with the service's application. */
export function callbackUrl(identity: Pick<IdentityConfig, 'publicUrl'>, service: ServiceName): string {
  return `${identity.publicUrl}/oauth/${service}/callback`;
}

export function startPath(service: ServiceName): string {
  return `/oauth/${service}/start`;
}

export function callbackPath(service: ServiceName): string {
  return `/oauth/${service}/callback`;
}

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  // Kantata documents none (its tokens do not expire); Huddle's last minutes. Accepted whenever given.
  expires_in: z.coerce.number().positive().optional(),
  refresh_token: z.string().min(1).optional(),
});

const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/** The token endpoint, the same for both services: form-encoded grants, JSON answers (RFC 6749 §5). */
class TokenEndpoint {
  private readonly http: UpstreamHttp;
  private readonly path: string;

  constructor(
    private readonly service: ServiceName,
    url: string,
    private readonly client: LinkingClientConfig,
    private readonly redirectUri: string,
    private readonly options: OAuthOptions,
  ) {
    const parsed = new URL(url);
    this.path = parsed.pathname;
    this.http = new UpstreamHttp({
      service,
      baseUrl: parsed.origin,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      connections: 2,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.observe ? { observe: options.observe } : {}),
    });
  }

  exchange(code: string): Promise<GrantedTokens> {
    return this.grant({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri });
  }

  refresh(refreshToken: string): Promise<GrantedTokens> {
    return this.grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async grant(fields: Record<string, string>): Promise<GrantedTokens> {
    const form = new URLSearchParams({ ...fields, client_id: this.client.clientId, ...(this.client.clientSecret ? { client_secret: this.client.clientSecret } : {}) });
    let response: UpstreamResponse;
    try {
      response = await this.http.send({
        operation: fields.grant_type === 'refresh_token' ? 'oauth_refresh' : 'oauth_token',
        method: 'POST',
        path: this.path,
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } catch {
      throw new OAuthError(this.service, 'unavailable');
    }
    const body = parseJson(response.body);
    if (response.status >= 200 && response.status < 300) {
      const tokens = tokenAnswerSchema.safeParse(body);
      if (!tokens.success) throw new OAuthError(this.service, 'unavailable', response.status);
      const now = (this.options.now ?? Date.now)();
      return {
        accessToken: tokens.data.access_token,
        ...(tokens.data.refresh_token ? { refreshToken: tokens.data.refresh_token } : {}),
        ...(tokens.data.expires_in !== undefined ? { expiresAt: now + tokens.data.expires_in * 1000 } : {}),
      };
    }
    const error = oauthErrorSchema.safeParse(body);
    if (response.status >= 400 && response.status < 500 && response.status !== 429 && error.success) {
      throw new OAuthError(this.service, error.data.error === 'invalid_grant' ? 'invalid_grant' : 'rejected', response.status, error.data.error);
    }
    throw new OAuthError(this.service, 'unavailable', response.status, error.success ? error.data.error : undefined);
  }
}

function withQuery(base: string, query: Record<string, string>): string {
  return `${base}?${new URLSearchParams(query).toString()}`;
}

/**
 * Kantata OX: `{KANTATA_OAUTH_URL}/oauth/authorize` and `/oauth/token`; whose token it is from the API's
 * `GET /users/me`. `state` is not in Kantata's documents: it is sent anyway, and checked.
 */
export function kantataOAuth(client: LinkingClientConfig, identity: Pick<IdentityConfig, 'publicUrl'>, options: OAuthOptions): OAuthProvider {
  const redirectUri = callbackUrl(identity, 'kantata');
  const tokens = new TokenEndpoint('kantata', `${client.loginUrl}/oauth/token`, client, redirectUri, options);
  return {
    service: 'kantata',
    authorizeUrl: (state) => withQuery(`${client.loginUrl}/oauth/authorize`, { response_type: 'code', client_id: client.clientId, redirect_uri: redirectUri, state }),
    exchangeCode: (code) => tokens.exchange(code),
    refresh: (refreshToken) => tokens.refresh(refreshToken),
    async whoAmI(accessToken) {
      const api = new KantataClient({
        apiUrl: options.kantataApiUrl ?? '',
        apiToken: accessToken,
        connectTimeoutMs: options.connectTimeoutMs,
        responseTimeoutMs: options.responseTimeoutMs,
        retryPolicy: { maxAttempts: 2, maxTotalMs: 2_000, baseDelayMs: 200, maxDelayMs: 1_000 },
        secrets: [...(options.secrets ?? []), accessToken],
        ...(options.observe ? { observe: options.observe } : {}),
      });
      try {
        return await api.whoAmI();
      } catch (error) {
        throw new OAuthError('kantata', error instanceof ProviderError && error.kind === 'authentication' ? 'rejected' : 'unavailable', error instanceof ProviderError ? error.status : undefined);
      } finally {
        await api.close();
      }
    },
    close: () => tokens.close(),
  };
}

const huddleUserSchema = z.object({
  links: z.array(z.object({ rel: z.string(), href: z.string() })).optional(),
  displayName: z.string().optional(),
  profile: z.object({ personal: z.object({ displayName: z.string().optional() }).optional() }).optional(),
});

/**
 * Huddle: `{HUDDLE_LOGIN_URL}/request` and `/token` (the secret only when the application has one); whose
 * token it is from the API's user entry, `GET /entry`, which redirects to the user, `/users/{id}`.
 */
export function huddleOAuth(client: LinkingClientConfig, identity: Pick<IdentityConfig, 'publicUrl'>, options: OAuthOptions): OAuthProvider {
  const redirectUri = callbackUrl(identity, 'huddle');
  const tokens = new TokenEndpoint('huddle', `${client.loginUrl}/token`, client, redirectUri, options);
  const apiBase = new URL(options.huddleApiUrl ?? 'https://api.huddle.net');
  const api = new UpstreamHttp({
    service: 'huddle',
    baseUrl: apiBase.toString(),
    connectTimeoutMs: options.connectTimeoutMs,
    responseTimeoutMs: options.responseTimeoutMs,
    connections: 2,
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const prefix = apiBase.pathname.replace(/\/+$/, '');
  const get = async (path: string, accessToken: string): Promise<UpstreamResponse> => {
    try {
      return await api.send({
        operation: 'users_me',
        method: 'GET',
        path,
        headers: { accept: 'application/vnd.huddle.data+json', authorization: `Bearer ${accessToken}` },
      });
    } catch {
      throw new OAuthError('huddle', 'unavailable');
    }
  };
  return {
    service: 'huddle',
    authorizeUrl: (state) => withQuery(`${client.loginUrl}/request`, { response_type: 'code', client_id: client.clientId, redirect_uri: redirectUri, state }),
    exchangeCode: (code) => tokens.exchange(code),
    refresh: (refreshToken) => tokens.refresh(refreshToken),
    async whoAmI(accessToken) {
      const entry = await get('/entry', accessToken);
      const location = entry.headers.location;
      if (entry.status === 401) throw new OAuthError('huddle', 'rejected', 401);
      const userPath = entry.status >= 300 && entry.status < 400 && location ? new URL(location, apiBase).pathname : undefined;
      if (!userPath || !userPath.startsWith(`${prefix}/users/`)) throw new OAuthError('huddle', 'unavailable', entry.status);
      const user = await get(userPath.slice(prefix.length), accessToken);
      if (user.status === 401) throw new OAuthError('huddle', 'rejected', 401);
      const parsed = huddleUserSchema.safeParse(parseJson(user.body));
      const id = /\/users\/([^/?#]+)/.exec(userPath)?.[1];
      if (user.status !== 200 || !parsed.success || !id) throw new OAuthError('huddle', 'unavailable', user.status);
      const name = parsed.data.displayName ?? parsed.data.profile?.personal?.displayName;
      return { id: decodeURIComponent(id), ...(name ? { name } : {}) };
    },
    close: async () => {
      await Promise.all([tokens.close(), api.close()]);
    },
  };
}

/** The providers of the services people can link, by service. */
export function oauthProviders(identity: IdentityConfig, options: OAuthOptions): Partial<Record<ServiceName, OAuthProvider>> {
  return {
    ...(identity.kantata ? { kantata: kantataOAuth(identity.kantata, identity, options) } : {}),
    ...(identity.huddle ? { huddle: huddleOAuth(identity.huddle, identity, options) } : {}),
  };
}
