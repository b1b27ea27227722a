import { afterEach, describe, expect, it } from 'vitest';
import { openReplayStore, type ReplayStore } from '../../src/slack/replay-store.js';
import { postgresAvailable, postgresStore, sqliteStore, type TestStore } from '../fakes/stores.js';

const withPostgres = await postgresAvailable();
const stores: [string, () => Promise<TestStore>][] = [['SQLite', async () => sqliteStore()], ...(withPostgres ? [['PostgreSQL', postgresStore] as [string, () => Promise<TestStore>]] : [])];
const T0 = 1_800_000_000_000;

describe.each(stores)('the replay guard’s store on %s', (_name, makeStore) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function open(store: TestStore): Promise<ReplayStore> {
    const replays = await openReplayStore(store.name === 'sqlite' ? store.storage : { kind: 'postgres', url: store.env.DATABASE_URL ?? '' });
    cleanups.push(() => replays.close());
    return replays;
  }

  it('sees a signature once within ten minutes, and again after', async () => {
    const store = await makeStore();
    cleanups.push(() => store.drop());
    const replays = await open(store);
    expect(await replays.firstSighting('v0=abc', T0)).toBe(true);
    expect(await replays.firstSighting('v0=abc', T0 + 599_000)).toBe(false);
    expect(await replays.firstSighting('v0=other', T0)).toBe(true);
    expect(await replays.firstSighting('v0=abc', T0 + 600_001)).toBe(true);
  });

  it('remembers across a restart and between processes sharing the store', async () => {
    const store = await makeStore();
    cleanups.push(() => store.drop());
    const first = await open(store);
    expect(await first.firstSighting('v0=shared', T0)).toBe(true);
    await first.close();
    const second = await open(store);
    const third = await open(store);
    expect(await second.firstSighting('v0=shared', T0 + 1_000)).toBe(false);
    expect(await third.firstSighting('v0=shared', T0 + 2_000)).toBe(false);
  });
});
