import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdentityConfig } from '../config.js';
import { NONCE_LIFETIME_MS, sha256, type Accounts } from '../identity/accounts.js';
import type { StoredLink, StoredNonce } from '../identity/link-store.js';
import { callbackPath, OAuthError, startPath, type OAuthProvider } from '../identity/oauth.js';
import type { ServiceName } from '../invitations/request.js';
import type { Logger } from '../logger.js';
import { pageText, SERVICE_LABELS } from '../messages.js';
import type { HttpRoute } from './http-routes.js';
import { sendPage, type Page } from './pages.js';

/** What became of the request that waited for the link, for the page to say. */
export type AfterLink = 'accepted' | 'answered' | 'nothing';

export interface LinkRouteDeps {
  readonly identity: IdentityConfig;
  readonly accounts: Accounts;
  /** Runs what waited for the link (a request, requests on hold) as the person, and tells them in Slack. */
  readonly afterLink: (nonce: StoredNonce, link: StoredLink) => Promise<AfterLink>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Every failure page, by the reason it is shown for: the closing note of README lists them. */
export type LinkFailure = 'unknown_link' | 'expired_link' | 'used_link' | 'wrong_state' | 'sign_in_expired' | 'denied' | 'service_error' | 'misconfigured';

const COOKIE = 'invite_bot_sign_in';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

/** The page for each failure, for a service. */
export function failurePage(failure: LinkFailure, service: ServiceName, detail = ''): Page {
  const label = SERVICE_LABELS[service];
  const problem = (status: number, text: { title: string; heading: string; lines: readonly string[] }): Page => ({ status, tone: 'problem', ...text });
  switch (failure) {
    case 'unknown_link':
      return problem(404, pageText.unknown());
    case 'expired_link':
      return problem(410, pageText.expired(label));
    case 'used_link':
      return problem(410, pageText.used(label));
    case 'wrong_state':
      return problem(400, pageText.wrongState(label));
    case 'sign_in_expired':
      return problem(410, pageText.signInExpired(label));
    case 'denied':
      return problem(403, pageText.denied(label));
    case 'service_error':
      return problem(502, pageText.serviceError(label, detail));
    case 'misconfigured':
      return problem(502, pageText.misconfigured(label, detail));
  }
}

function connectedPage(service: ServiceName, link: StoredLink, after: AfterLink): Page {
  const label = SERVICE_LABELS[service];
  const text = pageText.connected(label, link.serviceUserName ?? link.serviceUserId);
  const next = after === 'accepted' ? pageText.invitationOnItsWay() : after === 'answered' ? pageText.invitationAnswered() : pageText.nothingPending(label);
  return { status: 200, tone: 'ok', ...text, lines: [...text.lines, next] };
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

/** One value of a query parameter; repeated or missing counts as missing. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sameHash(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What went wrong at the service, in a few words for the page; never a token or the service's full answer. */
function describeOAuthError(error: OAuthError): string {
  if (error.failure === 'invalid_grant') return 'it refused the sign-in code, which may have expired';
  const status = error.status !== undefined ? `HTTP ${error.status}${error.oauthCode ? `, ${error.oauthCode}` : ''}` : 'no answer';
  return error.failure === 'rejected' ? status : `it answered ${status}`;
}

/**
 * The browser's round trip for linking an account, served on PORT in HTTP and Socket Mode alike:
 * `GET /oauth/{service}/start?nonce=…` uses the single-use nonce from Slack, gives this browser a cookie
 * and sends it to the service's sign-in with a fresh `state`; `GET /oauth/{service}/callback` checks the
 * state (once, within 10 minutes, from the same browser), exchanges the code, asks who it belongs to,
 * stores the tokens sealed, and runs what waited for the link. Every outcome is a page of the bot's own.
 */
export function linkRoutes(deps: LinkRouteDeps): HttpRoute[] {
  const now = deps.now ?? Date.now;
  const secure = deps.identity.publicUrl.startsWith('https://');
  const routes: HttpRoute[] = [];
  for (const service of ['kantata', 'huddle'] as const) {
    const provider = deps.accounts.provider(service);
    if (!provider) continue;
    const cookiePath = `/oauth/${service}/`;
    const cookie = (value: string, maxAgeSeconds: number) =>
      `${COOKIE}=${value}; Path=${cookiePath}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
    routes.push(
      { path: startPath(service), method: ['GET'], handler: guarded(deps.logger, service, (req, res) => start(req, res, service, provider, cookie)) },
      { path: callbackPath(service), method: ['GET'], handler: guarded(deps.logger, service, (req, res) => callback(req, res, service, provider, cookie)) },
    );
  }
  return routes;

  async function start(req: IncomingMessage, res: ServerResponse, service: ServiceName, provider: OAuthProvider, cookie: (value: string, maxAge: number) => string): Promise<void> {
    const nonce = single(queryOf(req), 'nonce');
    if (!nonce || !NONCE_PATTERN.test(nonce)) return sendPage(res, failurePage('unknown_link', service));
    const state = randomBytes(32).toString('base64url');
    const browser = randomBytes(32).toString('base64url');
    const started = await deps.accounts.links.startSignIn(sha256(nonce), sha256(state), sha256(browser), now());
    if (started.kind !== 'ok' || started.nonce.service !== service) {
      const failure = started.kind === 'used' ? 'used_link' : started.kind === 'expired' ? 'expired_link' : 'unknown_link';
      deps.logger.info({ event: 'link_start_refused', service, reason: failure }, 'a connect link could not be used');
      return sendPage(res, failurePage(failure, service));
    }
    deps.logger.info({ event: 'link_started', service, userId: started.nonce.userId }, 'sending a browser to the service to sign in');
    res.writeHead(302, {
      location: provider.authorizeUrl(state),
      'set-cookie': cookie(browser, Math.floor(NONCE_LIFETIME_MS / 1000)),
      'cache-control': 'no-store',
      // The service's page must not learn the nonce from a Referer.
      'referrer-policy': 'no-referrer',
    });
    res.end();
  }

  async function callback(req: IncomingMessage, res: ServerResponse, service: ServiceName, provider: OAuthProvider, cookie: (value: string, maxAge: number) => string): Promise<void> {
    const query = queryOf(req);
    const clearCookie = { 'set-cookie': cookie('', 0) };
    const fail = (failure: LinkFailure, detail?: string, extra: object = {}) => {
      deps.logger.info({ event: 'link_failed', service, reason: failure, ...extra }, 'linking an account failed');
      sendPage(res, failurePage(failure, service, detail), clearCookie);
    };
    const state = single(query, 'state');
    if (!state) return fail('wrong_state');
    const completed = await deps.accounts.links.completeSignIn(sha256(state), now(), NONCE_LIFETIME_MS);
    if (completed.kind !== 'ok') return fail(completed.kind === 'used' ? 'used_link' : completed.kind === 'expired' ? 'sign_in_expired' : 'wrong_state');
    const { nonce } = completed;
    const browser = cookieValue(req, COOKIE);
    // The state came back to another browser than the one the link was opened in: never bind that sign-in.
    if (nonce.service !== service || !sameHash(browser ? sha256(browser) : undefined, nonce.browserHash)) return fail('wrong_state', undefined, { userId: nonce.userId, cause: 'browser' });
    const error = single(query, 'error');
    if (error !== undefined) return error === 'access_denied' ? fail('denied', undefined, { userId: nonce.userId }) : fail('service_error', `error ${error.slice(0, 40)}`, { userId: nonce.userId, oauthError: error.slice(0, 40) });
    const code = single(query, 'code');
    if (!code) return fail('service_error', 'no sign-in code', { userId: nonce.userId });

    let link: StoredLink;
    try {
      const tokens = await provider.exchangeCode(code);
      const account = await provider.whoAmI(tokens.accessToken);
      const person = { teamId: nonce.teamId, userId: nonce.userId };
      link = await deps.accounts.links.saveLink(
        { ...person, service, serviceUserId: account.id, ...(account.name ? { serviceUserName: account.name } : {}), tokens: deps.accounts.seal(person, service, tokens) },
        now(),
      );
    } catch (failure) {
      if (failure instanceof OAuthError) {
        return fail(failure.failure === 'rejected' ? 'misconfigured' : 'service_error', describeOAuthError(failure), { userId: nonce.userId, status: failure.status, oauthCode: failure.oauthCode });
      }
      deps.logger.error({ event: 'link_store_failed', service, error: failure instanceof Error ? failure.message : String(failure) }, 'could not store a linked account');
      return fail('service_error', 'the bot could not store the connection');
    }
    deps.logger.info({ event: 'account_linked', service, userId: nonce.userId, serviceUserId: link.serviceUserId }, 'a person linked their account');
    const after = await deps.afterLink(nonce, link).catch((failure: unknown) => {
      deps.logger.error({ event: 'after_link_failed', service, userId: nonce.userId, error: failure instanceof Error ? failure.message : String(failure) }, 'could not run what waited for a link');
      return 'answered' as const;
    });
    sendPage(res, connectedPage(service, link, after), clearCookie);
  }
}

/** A route never lets an error escape (Bolt's receiver would leave it unhandled): the person gets a page. */
function guarded(logger: Logger, service: ServiceName, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      req.resume();
      await handler(req, res);
    } catch (error) {
      logger.error({ event: 'link_route_failed', service, error: error instanceof Error ? error.message : String(error) }, 'a link route failed');
      if (!res.headersSent) sendPage(res, failurePage('service_error', service, 'the bot could not handle the request'));
      else res.end();
    }
  };
}
