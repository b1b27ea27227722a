import { afterEach, describe, expect, it } from 'vitest';
import type { LinkStore, NewLink } from '../../src/identity/link-store.js';
import { postgresAvailable, postgresStore, sqliteStore, type TestStore } from '../fakes/stores.js';

const withPostgres = await postgresAvailable();
const T0 = 1_800_000_000_000;
const ANN = { teamId: 'T1', userId: 'U1' };

function newLink(overrides: Partial<NewLink> = {}): NewLink {
  return {
    ...ANN,
    service: 'kantata',
    serviceUserId: 'k-42',
    serviceUserName: 'Ann Lee',
    tokens: { keyId: 'k1', accessToken: 'v1.k1.sealed-access', refreshToken: 'v1.k1.sealed-refresh', expiresAt: T0 + 300_000 },
    ...overrides,
  };
}

const stores: [string, () => Promise<TestStore>][] = [['SQLite', async () => sqliteStore()], ...(withPostgres ? [['PostgreSQL', postgresStore] as [string, () => Promise<TestStore>]] : [])];

describe.each(stores)('the link store on %s', (_name, makeStore) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function fresh(): Promise<LinkStore> {
    const store = await makeStore();
    cleanups.push(() => store.drop());
    const { ledger, links } = await store.openStores();
    cleanups.push(() => ledger.close());
    return links;
  }

  it('keeps one link per person and service; linking again replaces the account and tokens and makes it active again', async () => {
    const links = await fresh();
    const first = await links.saveLink(newLink(), T0);
    expect(first).toMatchObject({ ...ANN, service: 'kantata', status: 'active', serviceUserId: 'k-42', serviceUserName: 'Ann Lee', tokenVersion: 1, createdAt: T0 });
    expect(first.tokens).toEqual(newLink().tokens);
    expect(await links.markBroken(first.id, 1, 'invalid_grant', T0 + 1)).toBe(true);
    expect(await links.findLink(ANN, 'kantata')).toMatchObject({ status: 'broken', brokenAt: T0 + 1, brokenReason: 'invalid_grant' });

    const again = await links.saveLink(newLink({ serviceUserId: 'k-43', serviceUserName: 'Ann B. Lee', tokens: { keyId: 'k2', accessToken: 'v1.k2.new' } }), T0 + 2);
    expect(again).toMatchObject({ id: first.id, status: 'active', serviceUserId: 'k-43', serviceUserName: 'Ann B. Lee', tokenVersion: 2, createdAt: T0, updatedAt: T0 + 2 });
    expect(again.tokens).toEqual({ keyId: 'k2', accessToken: 'v1.k2.new' });
    expect(again.brokenAt).toBeUndefined();
    await links.saveLink(newLink({ service: 'huddle' }), T0 + 3);
    await links.saveLink(newLink({ userId: 'U2' }), T0 + 3);
    expect((await links.linksOf(ANN)).map((link) => link.service)).toEqual(['huddle', 'kantata']);
    expect(await links.getLink(first.id)).toMatchObject({ id: first.id, serviceUserId: 'k-43' });
    expect(await links.linkCounts()).toEqual([
      { service: 'huddle', status: 'active', count: 1 },
      { service: 'kantata', status: 'active', count: 2 },
    ]);
  });

  it('lets only one of two racing refreshes replace the tokens, and never marks broken a link whose tokens changed since', async () => {
    const links = await fresh();
    const link = await links.saveLink(newLink(), T0);
    const fresher = { keyId: 'k1', accessToken: 'v1.k1.refreshed', refreshToken: 'v1.k1.refresh-2', expiresAt: T0 + 600_000 };
    expect(await links.replaceTokens(link.id, 1, fresher, T0 + 1)).toMatchObject({ tokenVersion: 2, tokens: fresher });
    expect(await links.replaceTokens(link.id, 1, { keyId: 'k1', accessToken: 'v1.k1.loser' }, T0 + 1)).toBeUndefined();
    expect(await links.markBroken(link.id, 1, 'invalid_grant', T0 + 2)).toBe(false);
    expect((await links.findLink(ANN, 'kantata'))?.status).toBe('active');
  });

  it('deletes a link and its tokens on disconnect', async () => {
    const links = await fresh();
    await links.saveLink(newLink(), T0);
    expect(await links.deleteLink(ANN, 'kantata')).toBe(true);
    expect(await links.deleteLink(ANN, 'kantata')).toBe(false);
    expect(await links.findLink(ANN, 'kantata')).toBeUndefined();
  });

  it('starts a sign-in once per nonce before it expires, and completes it once per state within its time', async () => {
    const links = await fresh();
    await links.createNonce({ nonceHash: 'n1', ...ANN, service: 'kantata', pending: '{"kind":"none"}', createdAt: T0, expiresAt: T0 + 600_000 });
    await links.createNonce({ nonceHash: 'n2', ...ANN, service: 'huddle', createdAt: T0, expiresAt: T0 + 600_000 });
    expect(await links.startSignIn('nope', 's0', 'b0', T0)).toEqual({ kind: 'unknown' });
    expect(await links.startSignIn('n2', 's2', 'b2', T0 + 600_000)).toEqual({ kind: 'expired' });
    const started = await links.startSignIn('n1', 's1', 'b1', T0 + 1);
    expect(started).toEqual({ kind: 'ok', nonce: { ...ANN, service: 'kantata', pending: '{"kind":"none"}', browserHash: 'b1', createdAt: T0, expiresAt: T0 + 600_000, startedAt: T0 + 1 } });
    expect(await links.startSignIn('n1', 's1b', 'b1', T0 + 2)).toEqual({ kind: 'used' });

    expect(await links.completeSignIn('s-unknown', T0 + 3, 600_000)).toEqual({ kind: 'unknown' });
    expect(await links.completeSignIn('s1', T0 + 600_001, 600_000)).toEqual({ kind: 'expired' });
    expect(await links.completeSignIn('s1', T0 + 3, 600_000)).toMatchObject({ kind: 'ok', nonce: { userId: 'U1', service: 'kantata' } });
    expect(await links.completeSignIn('s1', T0 + 4, 600_000)).toEqual({ kind: 'used' });
  });

  it('forgets nonces once they are old, used or not', async () => {
    const links = await fresh();
    await links.createNonce({ nonceHash: 'old', ...ANN, service: 'kantata', createdAt: T0, expiresAt: T0 + 600_000 });
    await links.createNonce({ nonceHash: 'new', ...ANN, service: 'kantata', createdAt: T0 + 1_000_000, expiresAt: T0 + 1_600_000 });
    expect(await links.purgeNonces(T0 + 700_000)).toBe(1);
    expect(await links.startSignIn('old', 's', 'b', T0 + 1)).toEqual({ kind: 'unknown' });
    expect((await links.startSignIn('new', 's', 'b', T0 + 1_000_001)).kind).toBe('ok');
  });
});
