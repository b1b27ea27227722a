import { afterEach, describe, expect, it } from 'vitest';
import { ClientCredentialsToken, createHuddleCredentials } from '../../src/providers/huddle-auth.js';
import { HuddleClient } from '../../src/providers/huddle.js';
import { ManualClock } from '../fakes/clock.js';
import { FakeHuddle } from '../fakes/fake-huddle.js';

const CLIENT_SECRET = 'hc-client-secret-value';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setup(options: { expiresIn?: number; secret?: string } = {}) {
  const fake = await FakeHuddle.start({ clients: { 'bot-client': CLIENT_SECRET }, tokenExpiresInSeconds: options.expiresIn ?? 86_400 });
  const clock = new ManualClock();
  const credentials = new ClientCredentialsToken(
    { kind: 'client_credentials', clientId: 'bot-client', clientSecret: options.secret ?? CLIENT_SECRET, tokenUrl: fake.tokenUrl },
    { connectTimeoutMs: 1_000, responseTimeoutMs: 2_000, clock },
  );
  const client = new HuddleClient({
    apiUrl: fake.apiUrl,
    credentials,
    connectTimeoutMs: 1_000,
    responseTimeoutMs: 2_000,
    clock,
    retryPolicy: { maxAttempts: 3, maxTotalMs: 1_000, baseDelayMs: 1, maxDelayMs: 1 },
  });
  closers.push(() => client.close(), () => fake.close());
  return { fake, clock, credentials, client };
}

describe('Huddle client-credentials token', () => {
  it('asks for a token with the form-encoded grant and reuses it', async () => {
    const { fake, client } = await setup();
    await client.inviteToWorkspace('89178', ['a@acme.com']);
    await client.inviteToWorkspace('89178', ['b@acme.com']);
    expect(fake.tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(fake.tokenRequests[0]?.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'bot-client',
      client_secret: CLIENT_SECRET,
    });
    expect(fake.inviteRequests.map((r) => r.headers.authorization)).toEqual([`Bearer ${fake.issuedTokens[0]}`, `Bearer ${fake.issuedTokens[0]}`]);
  });

  it('renews before the token expires', async () => {
    const { fake, clock, client } = await setup({ expiresIn: 600 });
    await client.inviteToWorkspace('89178', ['a@acme.com']);
    clock.advance(500_000); // 100 s left: outside the 60 s renewal margin, still used
    await client.inviteToWorkspace('89178', ['a@acme.com']);
    expect(fake.tokenRequests).toHaveLength(1);
    clock.advance(45_000); // 55 s left: renew now, before it lapses
    await client.inviteToWorkspace('89178', ['a@acme.com']);
    expect(fake.tokenRequests).toHaveLength(2);
    expect(fake.inviteRequests.at(-1)?.headers.authorization).toBe(`Bearer ${fake.issuedTokens[1]}`);
  });

  it('renews once after a 401 and sends again', async () => {
    const { fake, client } = await setup();
    await client.inviteToWorkspace('89178', ['a@acme.com']);
    fake.revokeIssuedTokens();
    await client.inviteToWorkspace('89178', ['b@acme.com']);
    expect(fake.tokenRequests).toHaveLength(2);
    expect(fake.inviteRequests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${fake.issuedTokens[0]}`,
      `Bearer ${fake.issuedTokens[0]}`,
      `Bearer ${fake.issuedTokens[1]}`,
    ]);
    expect(fake.invitations.map((i) => i.addresses)).toEqual([['a@acme.com'], ['b@acme.com']]);
  });

  it('does not loop when the renewed token is refused too', async () => {
    const { fake, client } = await setup();
    fake.server.respondNext({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"t1","expires_in":86400}' });
    fake.server.respondNext({ status: 401 });
    fake.server.respondNext({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"t2","expires_in":86400}' });
    fake.server.respondNext({ status: 401 });
    await expect(client.inviteToWorkspace('89178', ['a@acme.com'])).rejects.toMatchObject({ kind: 'authentication', status: 401 });
    expect(fake.inviteRequests).toHaveLength(2);
    expect(fake.tokenRequests).toHaveLength(2);
  });

  it('shares one grant among concurrent requests', async () => {
    const { fake, client } = await setup();
    await Promise.all([1, 2, 3].map((n) => client.inviteToWorkspace('89178', [`p${n}@acme.com`])));
    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('reports a refused client secret as an authentication failure and sends no invitation', async () => {
    const { fake, client } = await setup({ secret: 'wrong-secret' });
    const error = await client.inviteToWorkspace('89178', ['a@acme.com']).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'authentication', status: 401, code: 'invalid_client', upstreamMessage: 'Client authentication failed' });
    expect(String((error as Error).message)).not.toContain('wrong-secret');
    expect(fake.inviteRequests).toHaveLength(0);
  });
});

describe('fixed Huddle credentials', () => {
  it('never renew', async () => {
    const bearer = createHuddleCredentials({ kind: 'bearer', token: 't' }, { connectTimeoutMs: 1, responseTimeoutMs: 1 });
    expect(await bearer.authorization()).toBe('Bearer t');
    expect(await bearer.renewAfterRejection('Bearer t')).toBe(false);
    const basic = createHuddleCredentials({ kind: 'basic', username: 'u', password: 'p' }, { connectTimeoutMs: 1, responseTimeoutMs: 1 });
    expect(await basic.authorization()).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(await basic.renewAfterRejection('x')).toBe(false);
  });
});
