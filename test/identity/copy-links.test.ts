import { afterEach, describe, expect, it } from 'vitest';
import { copyLedger } from '../../src/invitations/ledger/copy.js';
import { postgresAvailable, postgresStore, sqliteStore } from '../fakes/stores.js';

const withPostgres = await postgresAvailable();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.runIf(withPostgres)('moving the ledger to PostgreSQL', () => {
  it('takes people’s linked accounts along, tokens still sealed, ids kept and new ids after them', async () => {
    const from = sqliteStore();
    const to = await postgresStore();
    cleanups.push(() => from.drop(), () => to.drop());
    const source = await from.openStores();
    const link = await source.links.saveLink(
      { teamId: 'T1', userId: 'U1', service: 'kantata', serviceUserId: 'k-1', serviceUserName: 'Ann Lee', tokens: { keyId: 'k1', accessToken: 'v1.k1.sealed' } },
      1_800_000_000_000,
    );
    await source.ledger.close();

    const report = await copyLedger(from.storage, to.storage);
    expect(report).toEqual({ requests: 0, invitees: 0, links: 1 });
    const target = await to.openStores();
    cleanups.push(() => target.ledger.close());
    expect(await target.links.findLink({ teamId: 'T1', userId: 'U1' }, 'kantata')).toEqual(link);
    const next = await target.links.saveLink({ teamId: 'T1', userId: 'U2', service: 'kantata', serviceUserId: 'k-2', tokens: { keyId: 'k1', accessToken: 'v1.k1.other' } }, 1_800_000_000_001);
    expect(next.id).toBeGreaterThan(link.id);
  });
});
