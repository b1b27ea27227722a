import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/providers/errors.js';
import { createHuddleCredentials } from '../../src/providers/huddle-auth.js';
import { HuddleClient } from '../../src/providers/huddle.js';
import { KantataClient } from '../../src/providers/kantata.js';
import { huddleWorkspaces, kantataWorkspaces } from '../../src/providers/workspace-sources.js';
import { FakeHuddle } from '../fakes/fake-huddle.js';
import { FakeKantata, kantataError } from '../fakes/fake-kantata.js';

const TOKEN = 'kt-lookup-token';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function kantataClient(options: Partial<ConstructorParameters<typeof FakeKantata>[0]> = {}, token = TOKEN) {
  const fake = await FakeKantata.start({ token: TOKEN, ...options });
  const client = new KantataClient({ apiUrl: fake.apiUrl, apiToken: token, connectTimeoutMs: 1_000, responseTimeoutMs: 2_000, lookupRetryPolicy: { maxAttempts: 2, maxTotalMs: 500, baseDelayMs: 5, maxDelayMs: 10 } });
  closers.push(() => client.close(), () => fake.close());
  return { fake, client };
}

describe('Kantata OX workspace lookups', () => {
  it('searches GET /workspaces with the typed words and the largest page, and reads can_invite and archived', async () => {
    const { fake, client } = await kantataClient();
    const found = await client.listWorkspaces('  acme rollout ');
    expect(found).toEqual([
      { id: '12345', title: 'Acme Rollout', canInvite: true, archived: false, teams: { maven: 'Northwind Agency', buyer: 'Acme Corp' } },
      { id: '12346', title: 'Acme Rollout Phase 2', canInvite: true, archived: false },
    ]);
    const url = new URL(fake.lookupRequests[0]?.path ?? '', 'http://x');
    expect(url.pathname).toBe('/api/v1/workspaces');
    expect(Object.fromEntries(url.searchParams)).toEqual({ search: 'acme rollout', per_page: '200', page: '1' });
    expect(fake.lookupRequests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('lists without a search parameter when nothing is typed; the API leaves archived projects out', async () => {
    const { fake, client } = await kantataClient();
    expect((await client.listWorkspaces('')).map((workspace) => workspace.id).sort()).toEqual(['12345', '12346', '777']);
    expect(new URL(fake.lookupRequests[0]?.path ?? '', 'http://x').searchParams.has('search')).toBe(false);
  });

  it('finds one project by id, and answers undefined for an unknown or archived one', async () => {
    const { client } = await kantataClient();
    expect(await client.getWorkspace('12345')).toEqual({ id: '12345', title: 'Acme Rollout', canInvite: true, archived: false, teams: { maven: 'Northwind Agency', buyer: 'Acme Corp' } });
    expect(await client.getWorkspace('404404')).toBeUndefined();
    expect(await client.getWorkspace('888')).toBeUndefined();
  });

  it('retries a rate-limited lookup once at most, and never a rejected token', async () => {
    const { fake, client } = await kantataClient();
    fake.server.respondNext(kantataError(429, 'system', 'Too many requests'), kantataError(429, 'system', 'Too many requests'), kantataError(429, 'system', 'Too many requests'));
    await expect(client.listWorkspaces('acme')).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(fake.lookupRequests).toHaveLength(2);

    const wrong = await kantataClient({}, 'kt-wrong');
    await expect(wrong.client.listWorkspaces('acme')).rejects.toBeInstanceOf(AuthenticationError);
    expect(wrong.fake.lookupRequests).toHaveLength(1);
  });

  it('offers only projects the token’s user may invite to', async () => {
    const { client } = await kantataClient({
      workspaces: {
        '1': { title: 'Open Project', canInvite: true },
        '2': { title: 'Open But Locked', canInvite: false },
        '3': { title: 'Open Archive', canInvite: true, archived: true },
      },
    });
    const source = kantataWorkspaces(client);
    expect(await source.search('open')).toEqual([{ service: 'kantata', id: '1', title: 'Open Project' }]);
    expect(await source.find('2')).toEqual({ service: 'kantata', id: '2', title: 'Open But Locked' });
  });
});

describe('Huddle workspace lookups', () => {
  it('filters the account’s one list by every typed word, or by id, and fetches the list once for many searches', async () => {
    const fake = await FakeHuddle.start({
      tokens: ['ht-1'],
      workspaces: { '1': { title: 'Acme Board Pack', canInvite: true }, '2': { title: 'Globex Due Diligence', canInvite: true }, '3': { title: 'Acme Legal', canInvite: false } },
    });
    const shared = { connectTimeoutMs: 1_000, responseTimeoutMs: 2_000 };
    const client = new HuddleClient({ ...shared, apiUrl: fake.apiUrl, credentials: createHuddleCredentials({ kind: 'bearer', token: 'ht-1' }, shared) });
    closers.push(() => client.close(), () => fake.close());
    let now = 0;
    const source = huddleWorkspaces(client, 30_000, () => now);
    expect((await source.search('acme')).map((workspace) => workspace.title)).toEqual(['Acme Board Pack', 'Acme Legal']);
    expect((await source.search('BOARD acme')).map((workspace) => workspace.id)).toEqual(['1']);
    expect((await source.search('2')).map((workspace) => workspace.title)).toEqual(['Globex Due Diligence']);
    expect(await source.search('nothing like it')).toEqual([]);
    expect(await source.find('3')).toEqual({ service: 'huddle', id: '3', title: 'Acme Legal' });
    expect(fake.lookupRequests).toHaveLength(1);
    now = 30_001;
    await source.search('acme');
    expect(fake.lookupRequests).toHaveLength(2);
  });
});
