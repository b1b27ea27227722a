import { randomBytes } from 'node:crypto';
import { FakeServer, type FakeResponse, type RecordedRequest } from './fake-server.js';
import type { FakeHuddle, FakeHuddleUser } from './fake-huddle.js';
import type { FakeKantata, FakeKantataPerson } from './fake-kantata.js';

/** A registered OAuth application, as the service's administrator set it up. */
export interface FakeOAuthClient {
  readonly clientId: string;
  /** Huddle applications may be registered without a secret. */
  readonly clientSecret?: string;
  /** Exactly the redirect URI registered: anything else is refused. */
  readonly redirectUri: string;
}

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly expiresAt: number;
  used: boolean;
}

const json = (status: number, body: unknown): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

const oauthError = (status: number, error: string, description: string): FakeResponse => json(status, { error, error_description: description });

const html = (status: number, body: string): FakeResponse => ({ status, headers: { 'content-type': 'text/html; charset=utf-8' }, body });

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Codes are good for this long (Kantata documents 5 minutes; Huddle's are as short). */
const CODE_LIFETIME_MS = 5 * 60_000;

/**
 * An OAuth 2 authorization server as the services document theirs (RFC 6749's authorization-code grant):
 * an authorize page that shows who signs in and asks to allow or deny the bot, redirecting back with
 * `code` and `state` or `error=access_denied`; a token endpoint taking form-encoded grants. It refuses
 * what a real one would: an unknown client, a wrong secret, a redirect URI other than the registered one
 * (with an error page: never a redirect to it), and codes that are reused, expired, or another client's.
 */
abstract class FakeAuthorizationServer {
  readonly server: FakeServer;
  /** Who is signed in at the service's site in the browser that comes to the authorize page. */
  abstract readonly signedInName: string;
  /** Moves the server's clock, to let codes expire. */
  nowOffsetMs = 0;
  protected readonly codes = new Map<string, IssuedCode>();
  private readonly tokenAnswers: FakeResponse[] = [];

  constructor(
    protected readonly client: FakeOAuthClient,
    private readonly authorizePath: string,
    private readonly tokenPath: string,
  ) {
    this.server = new FakeServer((request) => this.handle(request));
  }

  get url(): string {
    return this.server.url;
  }

  get tokenRequests(): RecordedRequest[] {
    return this.server.requests.filter((request) => request.method === 'POST' && new URL(request.path, 'http://x').pathname === this.tokenPath);
  }

  /** Grants seen at the token endpoint, by grant type. */
  grants(type: string): URLSearchParams[] {
    return this.tokenRequests.map((request) => new URLSearchParams(request.body)).filter((form) => form.get('grant_type') === type);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** The token endpoint's next answers, whatever is asked (a failing or misconfigured service). */
  answerTokenRequestsWith(...responses: FakeResponse[]): void {
    this.tokenAnswers.push(...responses);
  }

  protected now(): number {
    return Date.now() + this.nowOffsetMs;
  }

  protected abstract tokensForCode(): Record<string, unknown>;
  protected abstract refresh(form: URLSearchParams): FakeResponse;

  private handle(request: RecordedRequest): FakeResponse {
    const url = new URL(request.path, 'http://oauth.invalid');
    if (request.method === 'GET' && url.pathname === this.authorizePath) return this.authorizePage(url.searchParams);
    if (request.method === 'POST' && url.pathname === `${this.authorizePath}/decision`) return this.decide(new URLSearchParams(request.body));
    if (request.method === 'POST' && url.pathname === this.tokenPath) return this.tokenAnswers.shift() ?? this.token(request);
    return html(404, '<h1>Not found</h1>');
  }

  private authorizePage(query: URLSearchParams): FakeResponse {
    const problem = this.authorizeProblem(query);
    if (problem) return html(400, `<h1>Sign-in error</h1><p>${escape(problem)}</p>`);
    const hidden = ['client_id', 'redirect_uri', 'state']
      .filter((name) => query.get(name) !== null)
      .map((name) => `<input type="hidden" name="${name}" value="${escape(query.get(name) ?? '')}">`)
      .join('');
    return html(
      200,
      `<!DOCTYPE html><html lang="en"><head><title>Authorize application</title></head><body><main>` +
        `<h1>Allow Invite Bot to use your account?</h1><p>Signed in as ${escape(this.signedInName)}.</p>` +
        `<form method="post" action="${this.authorizePath}/decision">${hidden}` +
        `<button type="submit" name="decision" value="allow">Allow</button> <button type="submit" name="decision" value="deny">Deny</button></form>` +
        `</main></body></html>`,
    );
  }

  private authorizeProblem(query: URLSearchParams): string | undefined {
    if (query.get('response_type') !== 'code') return 'response_type must be code';
    if (query.get('client_id') !== this.client.clientId) return 'Unknown client';
    if (query.get('redirect_uri') !== this.client.redirectUri) return 'The redirect URI is not registered for this application';
    return undefined;
  }

  private decide(form: URLSearchParams): FakeResponse {
    const problem = this.authorizeProblem(new URLSearchParams({ response_type: 'code', client_id: form.get('client_id') ?? '', redirect_uri: form.get('redirect_uri') ?? '' }));
    if (problem) return html(400, `<h1>Sign-in error</h1><p>${escape(problem)}</p>`);
    const back = new URL(this.client.redirectUri);
    const state = form.get('state');
    if (form.get('decision') === 'allow') {
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, { clientId: this.client.clientId, redirectUri: this.client.redirectUri, expiresAt: this.now() + CODE_LIFETIME_MS, used: false });
      back.searchParams.set('code', code);
    } else {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The resource owner denied the request.');
    }
    if (state !== null) back.searchParams.set('state', state);
    return { status: 302, headers: { location: back.toString() } };
  }

  private token(request: RecordedRequest): FakeResponse {
    if (!/^application\/x-www-form-urlencoded\b/.test(request.headers['content-type'] ?? '')) return oauthError(400, 'invalid_request', 'The request must be form-encoded');
    const form = new URLSearchParams(request.body);
    if (form.get('client_id') !== this.client.clientId || (this.client.clientSecret !== undefined && form.get('client_secret') !== this.client.clientSecret)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.codes.get(form.get('code') ?? '');
        if (!code || code.used || code.expiresAt <= this.now() || code.clientId !== form.get('client_id')) {
          if (code) code.used = true;
          return oauthError(400, 'invalid_grant', 'The provided authorization grant is invalid, expired, revoked, or was issued to another client');
        }
        code.used = true;
        if (form.get('redirect_uri') !== code.redirectUri) return oauthError(400, 'invalid_grant', 'The redirect URI does not match the one used in the authorization request');
        return json(200, this.tokensForCode());
      }
      case 'refresh_token':
        return this.refresh(form);
      default:
        return oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported');
    }
  }
}

/**
 * Kantata OX's login host: `/oauth/authorize` and `/oauth/token`. Tokens do not expire and come without a
 * refresh token, as documented; each is registered with the API fake as the signed-in person's.
 */
export class FakeKantataOAuth extends FakeAuthorizationServer {
  readonly issued: string[] = [];

  constructor(
    client: FakeOAuthClient,
    private readonly api: FakeKantata,
    /** Who signs in; tests switch people between sign-ins. */
    public person: FakeKantataPerson,
  ) {
    super(client, '/oauth/authorize', '/oauth/token');
  }

  static async start(client: FakeOAuthClient, api: FakeKantata, person: FakeKantataPerson): Promise<FakeKantataOAuth> {
    const fake = new FakeKantataOAuth(client, api, person);
    await fake.server.start();
    return fake;
  }

  get signedInName(): string {
    return this.person.fullName;
  }

  protected tokensForCode(): Record<string, unknown> {
    const token = `kantata-person-${randomBytes(12).toString('hex')}`;
    this.issued.push(token);
    this.api.acceptPersonToken(token, this.person);
    return { access_token: token, token_type: 'bearer' };
  }

  protected refresh(): FakeResponse {
    return oauthError(400, 'invalid_grant', 'Kantata OX tokens have no refresh grant');
  }
}

/**
 * Huddle's login host: `/request` (authorize) and `/token`. Access tokens last `accessTokenSeconds`
 * (minutes, as documented) and come with a refresh token; a refresh gives a new pair and spends the old
 * refresh token; a revoked grant answers 400 `invalid_grant`.
 */
export class FakeHuddleLogin extends FakeAuthorizationServer {
  accessTokenSeconds: number;
  readonly issued: string[] = [];
  readonly issuedRefreshTokens: string[] = [];
  private readonly refreshTokens = new Map<string, { readonly user: FakeHuddleUser; spent: boolean }>();
  private revokedUsers = new Set<string>();

  constructor(
    client: FakeOAuthClient,
    private readonly api: FakeHuddle,
    public user: FakeHuddleUser,
    accessTokenSeconds = 300,
  ) {
    super(client, '/request', '/token');
    this.accessTokenSeconds = accessTokenSeconds;
  }

  static async start(client: FakeOAuthClient, api: FakeHuddle, user: FakeHuddleUser, accessTokenSeconds?: number): Promise<FakeHuddleLogin> {
    const fake = new FakeHuddleLogin(client, api, user, accessTokenSeconds);
    await fake.server.start();
    return fake;
  }

  get signedInName(): string {
    return this.user.displayName;
  }

  /** The user (or an administrator) revoked the bot's access: refreshes fail, and so do the access tokens. */
  revokeGrant(userId: string): void {
    this.revokedUsers.add(userId);
    this.api.revokePersonTokens(userId);
  }

  protected tokensForCode(): Record<string, unknown> {
    return this.pair(this.user);
  }

  protected refresh(form: URLSearchParams): FakeResponse {
    const entry = this.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!entry || entry.spent || this.revokedUsers.has(entry.user.id)) return oauthError(400, 'invalid_grant', 'The refresh token is invalid or was revoked');
    entry.spent = true;
    return json(200, this.pair(entry.user));
  }

  private pair(user: FakeHuddleUser): Record<string, unknown> {
    const access = `huddle-person-${randomBytes(12).toString('hex')}`;
    const refresh = `huddle-refresh-${randomBytes(12).toString('hex')}`;
    this.issued.push(access);
    this.api.acceptPersonToken(access, user, this.now() + this.accessTokenSeconds * 1000);
    this.refreshTokens.set(refresh, { user, spent: false });
    this.issuedRefreshTokens.push(refresh);
    return { access_token: access, token_type: 'bearer', expires_in: this.accessTokenSeconds, refresh_token: refresh };
  }
}
