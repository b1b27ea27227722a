import { afterEach, describe, expect, it } from 'vitest';
import { huddleOAuth, kantataOAuth, OAuthError, type OAuthProvider } from '../../src/identity/oauth.js';
import { FakeHuddle } from '../fakes/fake-huddle.js';
import { FakeKantata } from '../fakes/fake-kantata.js';
import { FakeHuddleLogin, FakeKantataOAuth } from '../fakes/fake-oauth.js';
import { TestBrowser } from '../fakes/test-browser.js';

const PUBLIC_URL = 'https://invite-bot.example';
const TIMEOUTS = { connectTimeoutMs: 2_000, responseTimeoutMs: 2_000 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Signs in at the fake's authorize page as a browser would, and returns the code it sends back. */
async function codeFrom(provider: OAuthProvider, state = 'state-1'): Promise<string> {
  const browser = new TestBrowser();
  const page = await browser.get(provider.authorizeUrl(state));
  expect(page.status).toBe(200);
  const action = /action="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const fields = Object.fromEntries([...page.text.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1], match[2]]));
  const answer = await browser.postForm(new URL(action, page.url).toString(), { ...fields, decision: 'allow' });
  const back = new URL(answer.location ?? '');
  expect(back.origin + back.pathname).toBe(`${PUBLIC_URL}/oauth/${provider.service}/callback`);
  expect(back.searchParams.get('state')).toBe(state);
  return back.searchParams.get('code') ?? '';
}

async function kantataSetup(secret = 'right-secret') {
  const api = await FakeKantata.start({ token: 'shared' });
  const login = await FakeKantataOAuth.start({ clientId: 'kc', clientSecret: 'right-secret', redirectUri: `${PUBLIC_URL}/oauth/kantata/callback` }, api, { id: '501', fullName: 'Ann Lee' });
  const provider = kantataOAuth({ clientId: 'kc', clientSecret: secret, loginUrl: login.url }, { publicUrl: PUBLIC_URL }, { ...TIMEOUTS, kantataApiUrl: api.apiUrl });
  cleanups.push(() => api.close(), () => login.close(), () => provider.close());
  return { api, login, provider };
}

async function huddleSetup() {
  const api = await FakeHuddle.start({});
  const login = await FakeHuddleLogin.start({ clientId: 'hc', redirectUri: `${PUBLIC_URL}/oauth/huddle/callback` }, api, { id: '7001', displayName: 'Ann Lee' }, 300);
  const provider = huddleOAuth({ clientId: 'hc', loginUrl: login.url }, { publicUrl: PUBLIC_URL }, { ...TIMEOUTS, huddleApiUrl: api.apiUrl });
  cleanups.push(() => api.close(), () => login.close(), () => provider.close());
  return { api, login, provider };
}

const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (error instanceof OAuthError ? [error.failure, error.status, error.oauthCode] : error));

describe('Kantata OX OAuth, against a fake held to the documented wire format', () => {
  it('exchanges a code for a token that does not expire, and finds who it belongs to with GET /users/me', async () => {
    const { login, provider } = await kantataSetup();
    const tokens = await provider.exchangeCode(await codeFrom(provider));
    expect(tokens).toEqual({ accessToken: login.issued[0] });
    expect(await provider.whoAmI(tokens.accessToken)).toEqual({ id: '501', name: 'Ann Lee' });
    const [grant] = login.grants('authorization_code');
    expect(Object.fromEntries(grant ?? [])).toEqual({ grant_type: 'authorization_code', code: expect.any(String), redirect_uri: `${PUBLIC_URL}/oauth/kantata/callback`, client_id: 'kc', client_secret: 'right-secret' });
  });

  it('is refused a reused code, an expired code, and a wrong client secret, as a real server would', async () => {
    const { login, provider } = await kantataSetup();
    const code = await codeFrom(provider);
    await provider.exchangeCode(code);
    expect(await failureOf(provider.exchangeCode(code))).toEqual(['invalid_grant', 400, 'invalid_grant']);
    const late = await codeFrom(provider);
    login.nowOffsetMs = 5 * 60_000 + 1;
    expect(await failureOf(provider.exchangeCode(late))).toEqual(['invalid_grant', 400, 'invalid_grant']);
    const { provider: wrong } = await kantataSetup('wrong-secret');
    expect(await failureOf(wrong.exchangeCode(await codeFrom(wrong)))).toEqual(['rejected', 401, 'invalid_client']);
  });

  it('shows an error page, never a redirect, for a redirect URI the application did not register', async () => {
    const { login } = await kantataSetup();
    const page = await new TestBrowser().get(`${login.url}/oauth/authorize?response_type=code&client_id=kc&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&state=s`);
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
  });

  it('reads a revoked token as rejected', async () => {
    const { api, provider } = await kantataSetup();
    const tokens = await provider.exchangeCode(await codeFrom(provider));
    api.revokeToken(tokens.accessToken);
    expect(await failureOf(provider.whoAmI(tokens.accessToken))).toEqual(['rejected', 401, undefined]);
  });
});

describe('Huddle OAuth, against a fake held to the documented wire format', () => {
  it('exchanges a code for a short-lived token with a refresh token, and reads the user entry', async () => {
    const { login, provider } = await huddleSetup();
    const before = Date.now();
    const tokens = await provider.exchangeCode(await codeFrom(provider));
    expect(tokens.accessToken).toBe(login.issued[0]);
    expect(tokens.refreshToken).toMatch(/^huddle-refresh-/);
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 300_000);
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 300_000);
    expect(await provider.whoAmI(tokens.accessToken)).toEqual({ id: '7001', name: 'Ann Lee' });
    // No client secret is sent for an application registered without one.
    expect(login.grants('authorization_code')[0]?.has('client_secret')).toBe(false);
  });

  it('refreshes with the refresh grant, spends the old refresh token, and reads a revoked grant as invalid_grant', async () => {
    const { login, provider } = await huddleSetup();
    const first = await provider.exchangeCode(await codeFrom(provider));
    const second = await provider.refresh(first.refreshToken ?? '');
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await failureOf(provider.refresh(first.refreshToken ?? ''))).toEqual(['invalid_grant', 400, 'invalid_grant']);
    login.revokeGrant('7001');
    expect(await failureOf(provider.refresh(second.refreshToken ?? ''))).toEqual(['invalid_grant', 400, 'invalid_grant']);
  });

  it('calls a failing or unreachable token service unavailable, not a revocation', async () => {
    const { login, provider } = await huddleSetup();
    login.answerTokenRequestsWith({ status: 503, body: 'busy' });
    expect(await failureOf(provider.refresh('anything'))).toEqual(['unavailable', 503, undefined]);
    await login.close();
    expect(await failureOf(provider.refresh('anything'))).toEqual(['unavailable', undefined, undefined]);
  });
});
