import { afterEach, describe, expect, it } from 'vitest';
import type { GuardSettings, Ledger, NewRequest } from '../../src/invitations/ledger/ledger.js';
import { openLedger, StorageError } from '../../src/invitations/ledger/open.js';
import type { InvitationRequest } from '../../src/invitations/request.js';
import { postgresAvailable, postgresStore, sqliteStore, type TestStore } from '../fakes/stores.js';

const withPostgres = await postgresAvailable();

const GUARDS: GuardSettings = { budget: { limit: 30, windowMs: 600_000 }, duplicateWindowMs: 600_000 };
const T0 = 1_800_000_000_000;

let sequence = 0;
function entry(overrides: Partial<InvitationRequest> & { emails?: string[]; again?: boolean; userId?: string } = {}): NewRequest {
  sequence += 1;
  const { emails = ['bob@acme.com'], again = false, userId = 'U1', ...request } = overrides;
  const invitees = emails.map((email, i) => ({ email, fullName: `Person ${i}` }));
  const base = { workspaceId: '12345', invitees, requestedBy: { userId, teamId: 'T1', channelId: 'C1' } };
  const built: InvitationRequest =
    request.service === 'huddle'
      ? { ...base, ...request, service: 'huddle' }
      : { ...base, role: 'buyer', subject: 'Hello', message: 'Welcome — aboard', ...(request as object), service: 'kantata' } as InvitationRequest;
  return { ref: `R${String(sequence).padStart(6, '0')}`, source: 'command', request: built, channelId: 'C1', responseUrl: 'https://hooks.slack.com/commands/T1/1/x', again };
}

async function recorded(ledger: Ledger, newRequest: NewRequest, now = T0, guards = GUARDS) {
  const result = await ledger.record(newRequest, guards, now);
  if (result.kind !== 'recorded') throw new Error(`not recorded: ${JSON.stringify(result)}`);
  return result;
}

const stores: [string, () => Promise<TestStore>][] = [['SQLite', async () => sqliteStore()], ...(withPostgres ? [['PostgreSQL', postgresStore] as [string, () => Promise<TestStore>]] : [])];

describe.each(stores)('the ledger on %s', (name, makeStore) => {
  /**
   * Several processes share PostgreSQL, each with its own connections. A SQLite file serves one process,
   * one connection per thread: in a test's single thread, "another process" is the same ledger.
   */
  const separateProcesses = name === 'PostgreSQL';
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function fresh(): Promise<{ store: TestStore; ledger: Ledger }> {
    const store = await makeStore();
    cleanups.push(() => store.drop());
    const ledger = await store.open();
    cleanups.push(() => ledger.close());
    return { store, ledger };
  }

  describe('recording', () => {
    it('keeps every field of an accepted request and queues its invitees in order', async () => {
      const { ledger } = await fresh();
      const result = await recorded(ledger, entry({ emails: ['bob@acme.com', 'Ann@Acme.com'] }));
      expect(result.invitees.map((i) => [i.email, i.state, i.position])).toEqual([
        ['bob@acme.com', 'queued', 0],
        ['Ann@Acme.com', 'queued', 1],
      ]);
      const found = await ledger.findRequest(result.request.ref);
      expect(found?.request).toMatchObject({
        ref: result.request.ref,
        teamId: 'T1',
        userId: 'U1',
        channelId: 'C1',
        responseUrl: 'https://hooks.slack.com/commands/T1/1/x',
        source: 'command',
        service: 'kantata',
        workspaceId: '12345',
        role: 'buyer',
        subject: 'Hello',
        message: 'Welcome — aboard',
        messageLength: 16,
        again: false,
        createdAt: T0,
        version: 1,
        deliveredVersion: 0,
      });
      expect(found?.request.finishedAt).toBeUndefined();
      expect(found?.invitees.map((i) => i.fullName)).toEqual(['Person 0', 'Person 1']);
    });

    it('skips an address invited to the same workspace within the window, in any letter case, naming who and when', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['bob@acme.com'], userId: 'UANN' }), T0);
      const second = await recorded(ledger, entry({ emails: ['BOB@acme.com', 'new@acme.com'], userId: 'U1' }), T0 + 60_000);
      expect(second.invitees.map((i) => [i.email, i.state, i.previous])).toEqual([
        ['BOB@acme.com', 'skipped', { userId: 'UANN', at: T0 }],
        ['new@acme.com', 'queued', undefined],
      ]);
    });

    it('does not skip for another workspace, another service, after the window, or when asked to invite again', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['bob@acme.com'] }), T0);
      const elsewhere = await recorded(ledger, entry({ emails: ['bob@acme.com'], workspaceId: '999' }), T0 + 1);
      const huddle = await recorded(ledger, entry({ emails: ['bob@acme.com'], service: 'huddle' }), T0 + 2);
      const later = await recorded(ledger, entry({ emails: ['bob@acme.com'] }), T0 + GUARDS.duplicateWindowMs + 1);
      const again = await recorded(ledger, entry({ emails: ['bob@acme.com'], again: true }), T0 + GUARDS.duplicateWindowMs + 2);
      expect([elsewhere, huddle, later, again].map((r) => r.invitees[0]?.state)).toEqual(['queued', 'queued', 'queued', 'queued']);
    });

    it('counts an unknown outcome as sent and a failed one as not sent', async () => {
      const { ledger } = await fresh();
      const first = await recorded(ledger, entry({ emails: ['gone@acme.com', 'maybe@acme.com'] }), T0);
      const claimed = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      const [gone, maybe] = claimed[0]?.invitees ?? [];
      await ledger.settleInvitees(first.request.id, [gone!.id], { state: 'failed', error: { kind: 'invalid_request', httpStatus: 422 }, attempts: 1 }, T0 + 10);
      await ledger.settleInvitees(first.request.id, [maybe!.id], { state: 'unknown', error: { kind: 'no_answer', reason: 'no answer within 30 s' }, attempts: 1 }, T0 + 10);
      const second = await recorded(ledger, entry({ emails: ['gone@acme.com', 'maybe@acme.com'] }), T0 + 20);
      expect(second.invitees.map((i) => i.state)).toEqual(['queued', 'skipped']);
    });

    it('finishes at once a request whose invitees were all skipped', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['bob@acme.com'] }), T0);
      const second = await recorded(ledger, entry({ emails: ['bob@acme.com'] }), T0 + 5);
      expect(second.request.finishedAt).toBe(T0 + 5);
    });
  });

  describe('budgets', () => {
    const small: GuardSettings = { budget: { limit: 3, windowMs: 600_000 }, duplicateWindowMs: 600_000 };

    it('refuses what goes over a person’s budget, saying how many are left and when more free up', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'] }), T0, small);
      const refused = await ledger.record(entry({ emails: ['c@acme.com', 'd@acme.com'] }), small, T0 + 1000);
      expect(refused).toEqual({ kind: 'over_budget', budget: { limit: 3, windowMs: 600_000, remaining: 1, availableAt: T0 + 600_000 } });
      expect(await ledger.findRequest(entry().ref)).toBeUndefined();
      const anotherPerson = await ledger.record(entry({ emails: ['c@acme.com', 'd@acme.com'], userId: 'U2' }), small, T0 + 1000);
      expect(anotherPerson.kind).toBe('recorded');
      const tooBig = await ledger.record(entry({ emails: ['1@a.com', '2@a.com', '3@a.com', '4@a.com'], userId: 'U3' }), small, T0);
      expect(tooBig).toEqual({ kind: 'over_budget', budget: { limit: 3, windowMs: 600_000, remaining: 3 } });
    });

    it('gives back what failed, and never counts skipped duplicates', async () => {
      const { ledger } = await fresh();
      const first = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com', 'c@acme.com'] }), T0, small);
      const [claimed] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      await ledger.settleInvitees(first.request.id, [claimed!.invitees[0]!.id], { state: 'failed', error: { kind: 'invalid_request' }, attempts: 1 }, T0 + 1);
      const duplicateAndNew = await recorded(ledger, entry({ emails: ['b@acme.com', 'd@acme.com'] }), T0 + 2, small);
      expect(duplicateAndNew.invitees.map((i) => i.state)).toEqual(['skipped', 'queued']);
      expect((await ledger.record(entry({ emails: ['e@acme.com'] }), small, T0 + 3)).kind).toBe('over_budget');
    });
  });

  describe('recording at once from several processes', () => {
    it('records an address invited by several people at the same moment once; the others skip it as a duplicate', async () => {
      const { store, ledger } = await fresh();
      const others = separateProcesses ? await Promise.all([store.open(), store.open(), store.open()]) : [ledger, ledger, ledger];
      if (separateProcesses) for (const other of others) cleanups.push(() => other.close());
      // Overlapping address sets in different orders: the address locks must not deadlock.
      const sets = [['x@acme.com', 'shared@acme.com'], ['shared@acme.com', 'y@acme.com'], ['z@acme.com', 'Shared@Acme.com', 'x2@acme.com'], ['shared@acme.com']];
      const results = await Promise.all([ledger, ...others].map((writer, i) => recorded(writer, entry({ emails: sets[i], userId: `U${i + 10}` }))));
      const shared = results.flatMap((result) => result.invitees.filter((invitee) => invitee.email.toLowerCase() === 'shared@acme.com').map((invitee) => invitee.state));
      expect(shared.sort()).toEqual(['queued', 'skipped', 'skipped', 'skipped']);
      const rest = results.flatMap((result) => result.invitees.filter((invitee) => invitee.email.toLowerCase() !== 'shared@acme.com').map((invitee) => invitee.state));
      expect(rest).toEqual(['queued', 'queued', 'queued', 'queued']);
    });
  });

  describe('claiming work', () => {
    it('hands out queued invitees oldest first, per service, each once, under a lease', async () => {
      const { ledger } = await fresh();
      const first = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'] }), T0);
      const second = await recorded(ledger, entry({ emails: ['c@acme.com'] }), T0 + 1);
      await recorded(ledger, entry({ emails: ['h@acme.com'], service: 'huddle' }), T0 + 2);
      const batch = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 10, leaseMs: 30_000, limit: 2, wholeRequest: false });
      expect(batch.map((work) => [work.request.ref, work.invitees.map((i) => [i.email, i.state])])).toEqual([[first.request.ref, [['a@acme.com', 'sending'], ['b@acme.com', 'sending']]]]);
      const next = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 10, leaseMs: 30_000, limit: 5, wholeRequest: false });
      expect(next.map((work) => [work.request.ref, work.invitees.map((i) => i.email)])).toEqual([[second.request.ref, ['c@acme.com']]]);
      expect(await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 10, leaseMs: 30_000, limit: 5, wholeRequest: false })).toEqual([]);
      expect(await ledger.depth()).toEqual({ queued: 1, sending: 3 });
    });

    it('claims all of one request at once where a service takes many addresses in one call', async () => {
      const { ledger } = await fresh();
      const first = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com', 'c@acme.com'], service: 'huddle' }), T0);
      await recorded(ledger, entry({ emails: ['d@acme.com'], service: 'huddle' }), T0 + 1);
      const batch = await ledger.claimInvitees({ service: 'huddle', owner: 'p1', now: T0 + 10, leaseMs: 30_000, limit: 1000, wholeRequest: true });
      expect(batch).toHaveLength(1);
      expect(batch[0]?.request.ref).toBe(first.request.ref);
      expect(batch[0]?.invitees.map((i) => i.email)).toEqual(['a@acme.com', 'b@acme.com', 'c@acme.com']);
    });

    it('never gives the same invitee to two claimers at once', async () => {
      const { store, ledger } = await fresh();
      const other = separateProcesses ? await store.open() : ledger;
      if (other !== ledger) cleanups.push(() => other.close());
      for (let i = 0; i < 20; i += 1) await recorded(ledger, entry({ emails: [`p${i}@acme.com`, `q${i}@acme.com`], userId: `U${i}` }), T0 + i);
      const claimers = [ledger, other, ledger, other].map(async (claimer, index) => {
        const ids: number[] = [];
        for (;;) {
          const batch = await claimer.claimInvitees({ service: 'kantata', owner: `p${index}`, now: T0 + 100, leaseMs: 30_000, limit: 3, wholeRequest: false });
          if (batch.length === 0) return ids;
          ids.push(...batch.flatMap((work) => work.invitees.map((i) => i.id)));
        }
      });
      const all = (await Promise.all(claimers)).flat();
      expect(all).toHaveLength(40);
      expect(new Set(all).size).toBe(40);
    });
  });

  describe('settling', () => {
    it('records each outcome with what the service said, and finishes the request with the last one', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'] }), T0);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      const [a, b] = work!.invitees;
      await ledger.settleInvitees(request.id, [a!.id], { state: 'invited', invitationId: '77', attempts: 2 }, T0 + 100);
      let found = await ledger.findRequest(request.ref);
      expect(found?.request.finishedAt).toBeUndefined();
      expect(found?.request.version).toBe(2);
      const error = { kind: 'invalid_request' as const, httpStatus: 422, code: 'validation', serviceMessage: 'Email address is invalid', retryAfterMs: 5000, reason: 'x' };
      await ledger.settleInvitees(request.id, [b!.id], { state: 'failed', error, attempts: 1 }, T0 + 200);
      found = await ledger.findRequest(request.ref);
      expect(found?.request).toMatchObject({ version: 3, finishedAt: T0 + 200 });
      expect(found?.invitees.map((i) => ({ state: i.state, attempts: i.attempts, invitationId: i.invitationId, error: i.error, resolvedAt: i.resolvedAt }))).toEqual([
        { state: 'invited', attempts: 2, invitationId: '77', error: undefined, resolvedAt: T0 + 100 },
        { state: 'failed', attempts: 1, invitationId: undefined, error, resolvedAt: T0 + 200 },
      ]);
    });

    it('puts back what never went out, only for the process that holds it', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      await ledger.requeueInvitees([work!.invitees[0]!.id], 'someone-else', T0 + 1);
      expect(await ledger.depth()).toEqual({ queued: 0, sending: 1 });
      await ledger.requeueInvitees([work!.invitees[0]!.id], 'p1', T0 + 1);
      expect(await ledger.depth()).toEqual({ queued: 1, sending: 0 });
    });

    it('remembers a summary post that went unanswered until one is recorded, and a repost for good', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0);
      await ledger.claimDeliveries('p1', T0 + 5_000, 30_000, 10);
      await ledger.markPosting(request.id, 'p1', T0 + 5_000);
      await ledger.recordDelivery(request.id, 'p1', { deliveredVersion: 0, nextDueAt: T0 + 7_000, nextUpdateAt: T0 + 7_000, failed: true }, T0 + 5_001);
      expect((await ledger.findRequest(request.ref))?.request.summaryPostingAt).toBe(T0 + 5_000);
      const [again] = await ledger.claimDeliveries('p2', T0 + 7_000, 30_000, 10);
      expect(again?.request.summaryPostingAt).toBe(T0 + 5_000);
      const summary = { channel: 'C1', ts: '1.1', via: 'channel' as const };
      await ledger.recordDelivery(request.id, 'p2', { summary, deliveredVersion: again!.request.version, nextUpdateAt: T0 + 10_000, reposted: true }, T0 + 7_001);
      const after = (await ledger.findRequest(request.ref))?.request;
      expect(after?.summaryPostingAt).toBeUndefined();
      expect(after?.summaryReposted).toBe(true);
      expect(after?.summary).toEqual(summary);
    });

    it('hands what a dead process was reporting to the others at once, not when its lease runs out', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0);
      const [claimed] = await ledger.claimDeliveries('dead', T0 + 5_000, 30_000, 10);
      expect(claimed).toBeDefined();
      expect(await ledger.claimDeliveries('alive', T0 + 6_000, 30_000, 10)).toEqual([]);
      expect(await ledger.sendingOwners()).toEqual(['dead']);
      await ledger.failOrphans(T0 + 6_000, ['dead']);
      expect((await ledger.claimDeliveries('alive', T0 + 6_000, 30_000, 10)).map((report) => report.request.id)).toEqual([claimed!.request.id]);
    });

    it('turns the sending invitees of a process that died into unknown, never back into queued', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com', 'c@acme.com'] }), T0);
      await ledger.claimInvitees({ service: 'kantata', owner: 'dead', now: T0, leaseMs: 30_000, limit: 1, wholeRequest: false });
      await ledger.claimInvitees({ service: 'kantata', owner: 'alive', now: T0, leaseMs: 30_000, limit: 1, wholeRequest: false });
      await ledger.claimInvitees({ service: 'kantata', owner: 'expired', now: T0 - 60_000, leaseMs: 30_000, limit: 1, wholeRequest: false });
      await ledger.renewLeases('alive', T0 + 20_000, 30_000);
      expect((await ledger.sendingOwners()).sort()).toEqual(['alive', 'dead', 'expired']);
      expect(await ledger.failOrphans(T0 + 40_000, ['dead'])).toBe(2);
      const found = await ledger.findRequest(request.ref);
      expect(found?.invitees.map((i) => [i.email, i.state, i.error?.kind])).toEqual([
        ['a@acme.com', 'unknown', 'interrupted'],
        ['b@acme.com', 'sending', undefined],
        ['c@acme.com', 'unknown', 'interrupted'],
      ]);
      // The call of a process marked dead too soon still tells the truth when it returns.
      await ledger.settleInvitees(request.id, [found!.invitees[0]!.id], { state: 'invited', attempts: 1 }, T0 + 41_000);
      expect((await ledger.findRequest(request.ref))?.invitees[0]?.state).toBe('invited');
    });
  });

  describe('delivery', () => {
    it('is due at once for a large request, after five seconds for a small one, and at once when it finishes', async () => {
      const { ledger } = await fresh();
      const small = await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0);
      const large = await recorded(ledger, entry({ emails: Array.from({ length: 11 }, (_, i) => `l${i}@acme.com`) }), T0);
      expect((await ledger.claimDeliveries('d1', T0, 10_000, 10)).map((r) => r.request.ref)).toEqual([large.request.ref]);
      expect((await ledger.claimDeliveries('d1', T0 + 4_999, 10_000, 10)).map((r) => r.request.ref)).toEqual([]);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 1, leaseMs: 30_000, limit: 1, wholeRequest: false });
      await ledger.settleInvitees(small.request.id, [work!.invitees[0]!.id], { state: 'invited', attempts: 1 }, T0 + 2);
      const due = await ledger.claimDeliveries('d1', T0 + 3, 10_000, 10);
      expect(due.map((r) => [r.request.ref, r.invitees.map((i) => i.state)])).toEqual([[small.request.ref, ['invited']]]);
    });

    it('leases a request to one deliverer, and looks again soon when the request changed during a pass', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: Array.from({ length: 12 }, (_, i) => `l${i}@acme.com`) }), T0);
      const [claimed] = await ledger.claimDeliveries('d1', T0, 10_000, 10);
      expect(await ledger.claimDeliveries('d2', T0 + 1, 10_000, 10)).toEqual([]);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 1, leaseMs: 30_000, limit: 1, wholeRequest: false });
      await ledger.settleInvitees(request.id, [work!.invitees[0]!.id], { state: 'invited', attempts: 1 }, T0 + 2);
      await ledger.recordDelivery(request.id, 'd1', { summary: { channel: 'C1', ts: '1.2', via: 'channel' }, deliveredVersion: claimed!.request.version, lastUpdateAt: T0 + 3, nextUpdateAt: T0 + 3_003, nextDueAt: T0 + 60_000 }, T0 + 3);
      expect(await ledger.claimDeliveries('d2', T0 + 3_002, 10_000, 10)).toEqual([]);
      const [again] = await ledger.claimDeliveries('d2', T0 + 3_003, 10_000, 10);
      expect(again?.request).toMatchObject({ summary: { channel: 'C1', ts: '1.2', via: 'channel' }, lastUpdateAt: T0 + 3, deliveredVersion: 1, version: 2 });
    });

    it('forgets the response_url and stops looking once everything is delivered', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 1, wholeRequest: false });
      await ledger.settleInvitees(request.id, [work!.invitees[0]!.id], { state: 'failed', error: { kind: 'not_found' }, attempts: 1 }, T0 + 1);
      const [due] = await ledger.claimDeliveries('d1', T0 + 2, 10_000, 10);
      await ledger.recordDelivery(
        request.id,
        'd1',
        { summary: { channel: 'C1', ts: '1.2', via: 'channel' }, deliveredVersion: due!.request.version, reportedInviteeIds: [due!.invitees[0]!.id], nextUpdateAt: T0 + 3_002, delivered: true },
        T0 + 2,
      );
      expect(await ledger.claimDeliveries('d1', T0 + 999_999, 10_000, 10)).toEqual([]);
      const found = await ledger.findRequest(request.ref);
      expect(found?.request.responseUrl).toBeUndefined();
      expect(found?.request.deliveredAt).toBe(T0 + 2);
      expect(found?.invitees[0]?.reportedAt).toBe(T0 + 2);
      expect(await ledger.unfinished(10)).toEqual([]);
    });
  });

  describe('identities (linked accounts)', () => {
    const ann = { kind: 'linked' as const, linkId: 7, serviceUserId: 'k-42', serviceUserName: 'Ann Lee' };

    it('keeps who a request is sent as, and nothing when linking is not configured', async () => {
      const { ledger } = await fresh();
      const linked = await recorded(ledger, { ...entry(), identity: ann }, T0);
      const shared = await recorded(ledger, { ...entry({ emails: ['c@acme.com'] }), identity: { kind: 'shared' } }, T0);
      const none = await recorded(ledger, entry({ emails: ['d@acme.com'] }), T0);
      expect((await ledger.findRequest(linked.request.ref))?.request.identity).toEqual(ann);
      expect((await ledger.findRequest(shared.request.ref))?.request.identity).toEqual({ kind: 'shared' });
      expect((await ledger.findRequest(none.request.ref))?.request.identity).toBeUndefined();
    });

    it('holds a refused request once, puts its refused invitees back unsent, claims none of it until its owner reconnects, then sends it as them', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, { ...entry({ emails: ['a@acme.com', 'b@acme.com', 'c@acme.com'] }), identity: ann }, T0);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 2, wholeRequest: false });
      const [a, b] = work!.invitees;
      await ledger.settleInvitees(request.id, [a!.id], { state: 'invited', attempts: 1 }, T0 + 1);
      expect(await ledger.holdForLink(request.id, [b!.id], 'p1', T0 + 2)).toBe(true);
      // A second refusal of the same request (calls in flight together) does not ask the person again.
      expect(await ledger.holdForLink(request.id, [], 'p1', T0 + 3)).toBe(false);
      const held = await ledger.findRequest(request.ref);
      expect(held?.request).toMatchObject({ awaitingLinkSince: T0 + 2 });
      expect(held?.request.finishedAt).toBeUndefined();
      expect(held?.invitees.map((i) => [i.email, i.state])).toEqual([['a@acme.com', 'invited'], ['b@acme.com', 'queued'], ['c@acme.com', 'queued']]);
      expect(await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 4, leaseMs: 30_000, limit: 10, wholeRequest: false })).toEqual([]);

      expect(await ledger.resumeAfterLink({ teamId: 'T1', userId: 'U2' }, 'kantata', ann, T0 + 5)).toEqual([]);
      expect(await ledger.resumeAfterLink({ teamId: 'T1', userId: 'U1' }, 'huddle', ann, T0 + 5)).toEqual([]);
      const reconnected = { ...ann, serviceUserId: 'k-43', serviceUserName: 'Ann B. Lee' };
      const resumed = await ledger.resumeAfterLink({ teamId: 'T1', userId: 'U1' }, 'kantata', reconnected, T0 + 6);
      expect(resumed.map((r) => [r.ref, r.identity, r.awaitingLinkSince])).toEqual([[request.ref, reconnected, undefined]]);
      const claimed = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 7, leaseMs: 30_000, limit: 10, wholeRequest: false });
      expect(claimed.flatMap((w) => w.invitees.map((i) => i.email))).toEqual(['b@acme.com', 'c@acme.com']);
    });

    it('gives up on a request whose owner never reconnects: its queued invitees fail, unsent, and it finishes', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, { ...entry({ emails: ['a@acme.com'] }), identity: ann }, T0);
      await ledger.holdForLink(request.id, [], 'p1', T0);
      expect(await ledger.expireAwaitingLink(T0, T0 + 1)).toBe(0);
      expect(await ledger.expireAwaitingLink(T0 + 1, T0 + 2)).toBe(1);
      const found = await ledger.findRequest(request.ref);
      expect(found?.request.finishedAt).toBe(T0 + 2);
      expect(found?.invitees.map((i) => [i.state, i.error?.kind, i.error?.reason])).toEqual([['failed', 'authentication', 'account not reconnected']]);
      // Failed, so it was never sent: it neither counts as a duplicate nor against the budget.
      expect((await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0 + 3)).invitees[0]?.state).toBe('queued');
    });

    it('lists the latest requests of one person, or of everyone, newest first, with counts by state', async () => {
      const { ledger } = await fresh();
      const first = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'], userId: 'U1' }), T0);
      const other = await recorded(ledger, entry({ emails: ['c@acme.com'], userId: 'U2' }), T0 + 1);
      const second = await recorded(ledger, entry({ emails: ['d@acme.com'], userId: 'U1' }), T0 + 2);
      const mine = await ledger.recent({ userId: 'U1', teamId: 'T1' }, 20);
      expect(mine.map((r) => [r.request.ref, r.counts])).toEqual([
        [second.request.ref, { queued: 1 }],
        [first.request.ref, { queued: 2 }],
      ]);
      expect(await ledger.recent({ userId: 'U1', teamId: 'T9' }, 20)).toEqual([]);
      expect((await ledger.recent({}, 2)).map((r) => r.request.ref)).toEqual([second.request.ref, other.request.ref]);
    });
  });

  it('lists what is unfinished with counts by state, and deletes history past its age', async () => {
    const { ledger } = await fresh();
    const old = await recorded(ledger, entry({ emails: ['old@acme.com'] }), T0 - 100 * 86_400_000);
    const current = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'] }), T0);
    await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 1, wholeRequest: false });
    const unfinished = await ledger.unfinished(10);
    expect(unfinished.map((u) => [u.request.ref, u.counts])).toEqual([
      [old.request.ref, { sending: 1 }],
      [current.request.ref, { queued: 2 }],
    ]);
    expect(await ledger.purge(T0 - 90 * 86_400_000)).toBe(1);
    expect(await ledger.findRequest(old.request.ref)).toBeUndefined();
    expect((await ledger.unfinished(10)).map((u) => u.request.ref)).toEqual([current.request.ref]);
  });

  describe('approvals', () => {
    const held = (emails: string[], userId = 'U1') => ({ ...entry({ emails, userId }), approval: { reason: 'external' as const, expiresAt: T0 + 72 * 3_600_000 } });

    it('holds a request for approval: nothing is claimed until it is approved, and the first decision wins', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, held(['a@acme.com']), T0);
      expect(request).toMatchObject({ status: 'awaiting_approval', approval: { reason: 'external', expiresAt: T0 + 72 * 3_600_000 } });
      expect(await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false })).toEqual([]);
      const [first, second] = await Promise.all([
        ledger.decide(request.ref, { kind: 'approved', by: 'ULEE', at: T0 + 100 }),
        ledger.decide(request.ref, { kind: 'denied', by: 'UMAX', at: T0 + 100, reason: 'no' }),
      ]);
      const kinds = [first.kind, second.kind].sort();
      expect(kinds).toEqual(['already', 'decided']);
      const winner = first.kind === 'decided' ? first : second;
      const found = await ledger.findRequest(request.ref);
      if (winner.kind === 'decided' && winner.request.status === 'active') {
        expect(found?.request).toMatchObject({ status: 'active', decision: { kind: 'approved', by: 'ULEE' } });
        expect(await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0 + 200, leaseMs: 30_000, limit: 10, wholeRequest: false })).toHaveLength(1);
      } else {
        expect(found?.request).toMatchObject({ status: 'denied', decision: { kind: 'denied', by: 'UMAX', reason: 'no' }, finishedAt: T0 + 100 });
        expect(found?.invitees.map((i) => [i.state, i.error])).toEqual([['failed', { kind: 'denied', reason: 'no' }]]);
      }
      expect((await ledger.decide('RNOTHERE', { kind: 'approved', by: 'ULEE', at: T0 })).kind).toBe('not_found');
    });

    it('expires what nobody decided in time, failing its invitees', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, held(['a@acme.com', 'b@acme.com']), T0);
      expect(await ledger.expireApprovals(T0 + 72 * 3_600_000 - 1)).toBe(0);
      expect(await ledger.expireApprovals(T0 + 72 * 3_600_000 + 1)).toBe(1);
      const found = await ledger.findRequest(request.ref);
      expect(found?.request).toMatchObject({ status: 'expired', decision: { kind: 'expired' } });
      expect(found?.invitees.map((i) => [i.state, i.error?.kind])).toEqual([
        ['failed', 'expired'],
        ['failed', 'expired'],
      ]);
      expect((await ledger.decide(request.ref, { kind: 'approved', by: 'ULEE', at: T0 + 73 * 3_600_000 })).kind).toBe('already');
    });

    it('holds nothing when every invitee was skipped as a duplicate', async () => {
      const { ledger } = await fresh();
      await recorded(ledger, entry({ emails: ['a@acme.com'] }), T0);
      const { request } = await recorded(ledger, held(['a@acme.com'], 'U2'), T0 + 10);
      expect(request).toMatchObject({ status: 'active', finishedAt: T0 + 10 });
      expect(request.approval).toBeUndefined();
    });

    it('remembers that the decision was announced', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, held(['a@acme.com']), T0);
      await ledger.decide(request.ref, { kind: 'approved', by: 'ULEE', at: T0 + 100 });
      const [due] = await ledger.claimDeliveries('p1', T0 + 100, 30_000, 10);
      expect(due?.request.decisionAnnouncedAt).toBeUndefined();
      await ledger.recordDelivery(request.id, 'p1', { deliveredVersion: due!.request.version, nextUpdateAt: T0 + 3_100, decisionAnnounced: true }, T0 + 150);
      expect((await ledger.findRequest(request.ref))?.request.decisionAnnouncedAt).toBe(T0 + 150);
    });

    it('remembers where approvers were asked', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, held(['a@acme.com']), T0);
      await ledger.recordApprovalMessages(request.id, [{ recipient: 'CAPPROVE', channel: 'CAPPROVE', ts: '1.1' }], T0);
      await ledger.recordApprovalMessages(request.id, [{ recipient: 'U2', channel: 'D2', ts: '2.2' }], T0);
      expect(await ledger.approvalMessages(request.id)).toEqual([
        { recipient: 'CAPPROVE', channel: 'CAPPROVE', ts: '1.1' },
        { recipient: 'U2', channel: 'D2', ts: '2.2' },
      ]);
    });
  });

  describe('retries from the thread', () => {
    it('puts certainly-unsent invitees back in the queue through the budget and duplicate guards', async () => {
      const { ledger } = await fresh();
      const small: GuardSettings = { budget: { limit: 3, windowMs: 600_000 }, duplicateWindowMs: 600_000 };
      const { request } = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com', 'c@acme.com'] }), T0, small);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      const [a, b, c] = work!.invitees;
      const busy = { kind: 'rate_limited' as const, httpStatus: 429 };
      await ledger.settleInvitees(request.id, [a!.id, b!.id, c!.id], { state: 'failed', error: busy, attempts: 6 }, T0 + 10);
      // Someone else invites b meanwhile.
      await recorded(ledger, entry({ emails: ['b@acme.com'], userId: 'U2' }), T0 + 20, small);
      const retried = await ledger.retry(request.ref, [a!.id, b!.id], small, T0 + 30);
      expect(retried.kind).toBe('queued');
      expect(retried.kind === 'queued' && retried.invitees.map((i) => [i.email, i.state, i.error])).toEqual([
        ['a@acme.com', 'queued', undefined],
        ['b@acme.com', 'skipped', undefined],
      ]);
      const found = await ledger.findRequest(request.ref);
      expect(found?.request.finishedAt).toBeUndefined();
      expect(found?.invitees.map((i) => i.state)).toEqual(['queued', 'skipped', 'failed']);
      expect(await ledger.retry(request.ref, [a!.id], small, T0 + 40)).toEqual({ kind: 'nothing' });
      // a is queued again and counts: two more would go over the budget of three.
      const again = await ledger.retry(request.ref, [c!.id], { ...small, budget: { limit: 1, windowMs: 600_000 } }, T0 + 50);
      expect(again.kind).toBe('over_budget');
    });
  });

  it('marks invitees retried after an unknown outcome to be checked on the project first', async () => {
    const { ledger } = await fresh();
    const { request } = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'] }), T0);
    const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
    const [a, b] = work!.invitees;
    await ledger.settleInvitees(request.id, [a!.id], { state: 'unknown', error: { kind: 'no_answer', reason: 'timed out' }, attempts: 1 }, T0 + 10);
    await ledger.settleInvitees(request.id, [b!.id], { state: 'failed', error: { kind: 'unavailable', httpStatus: 503 }, attempts: 3 }, T0 + 10);
    const retried = await ledger.retry(request.ref, [a!.id, b!.id], { budget: { limit: 10, windowMs: 600_000 }, duplicateWindowMs: 600_000 }, T0 + 20);
    expect(retried.kind === 'queued' && retried.invitees.map((i) => [i.email, i.state, i.checkFirst])).toEqual([
      ['a@acme.com', 'queued', true],
      ['b@acme.com', 'queued', undefined],
    ]);
  });

  describe('follow-ups', () => {
    it('looks for invited people at growing intervals and notes who joined', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: ['a@acme.com', 'b@acme.com'] }), T0);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      const [a, b] = work!.invitees;
      await ledger.settleInvitees(request.id, [a!.id, b!.id], { state: 'invited', attempts: 1, followUpAt: T0 + 600_000 }, T0);
      expect(await ledger.dueFollowUps(T0 + 599_999, 10)).toEqual([]);
      const [due] = await ledger.dueFollowUps(T0 + 600_000, 10);
      expect(due?.invitees.map((i) => [i.email, i.followUp])).toEqual([
        ['a@acme.com', { dueAt: T0 + 600_000, step: 0 }],
        ['b@acme.com', { dueAt: T0 + 600_000, step: 0 }],
      ]);
      await ledger.recordFollowUp([a!.id, b!.id], [b!.id], T0 + 600_000);
      const found = await ledger.findRequest(request.ref);
      expect(found?.invitees.map((i) => [i.joinedAt, i.followUp])).toEqual([
        [undefined, { dueAt: T0 + 3_600_000, step: 1 }],
        [T0 + 600_000, undefined],
      ]);
      for (const [step, at] of [[2, 3_600_000], [3, 6 * 3_600_000], [4, 24 * 3_600_000]] as const) {
        await ledger.recordFollowUp([a!.id], [], T0 + at);
        expect((await ledger.findRequest(request.ref))?.invitees[0]?.followUp?.step).toBe(step);
      }
      await ledger.recordFollowUp([a!.id], [], T0 + 72 * 3_600_000);
      expect((await ledger.findRequest(request.ref))?.invitees[0]?.followUp).toBeUndefined();
      expect(await ledger.dueFollowUps(T0 + 1_000 * 3_600_000, 10)).toEqual([]);
    });
  });

  describe('people already on the project', () => {
    it('are skipped with their team, and never counted against a budget', async () => {
      const { ledger } = await fresh();
      const { request } = await recorded(ledger, entry({ emails: ['member@acme.com'] }), T0);
      const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
      await ledger.settleInvitees(request.id, [work!.invitees[0]!.id], { state: 'skipped', member: { role: 'buyer' }, attempts: 0 }, T0 + 1);
      const found = await ledger.findRequest(request.ref);
      expect(found?.invitees.map((i) => [i.state, i.member, i.previous])).toEqual([['skipped', { role: 'buyer' }, undefined]]);
      expect(found?.request.finishedAt).toBe(T0 + 1);
      const again = await recorded(ledger, entry({ emails: ['member@acme.com'] }), T0 + 2);
      expect(again.invitees[0]?.state).toBe('queued');
    });
  });

  it('migrates once when several processes open a new store together, and not again on the next start', async () => {
    const store = await makeStore();
    cleanups.push(() => store.drop());
    const openAll = () => (separateProcesses ? Promise.all([store.open(), store.open(), store.open()]) : store.open().then((one) => [one]));
    const ledgers = await openAll();
    cleanups.push(async () => void (await Promise.all(ledgers.map((l) => l.close()))));
    await recorded(ledgers[0]!, entry(), T0);
    expect((await ledgers.at(-1)!.unfinished(10)).length).toBe(1);
    await Promise.all(ledgers.splice(0).map((l) => l.close()));
    const reopened = await store.open();
    ledgers.push(reopened);
    expect((await reopened.unfinished(10)).length).toBe(1);
  });
});

describe.runIf(withPostgres)('two ledgers in one PostgreSQL database', () => {
  it('each get their own tables, whichever schema was migrated first', async () => {
    const [first, second] = [await postgresStore(), await postgresStore()];
    const ledgers: Ledger[] = [];
    try {
      ledgers.push(await first.open());
      // The first schema's migration tables must not pass for the second's.
      ledgers.push(await second.open());
      await recorded(ledgers[1]!, entry(), T0);
      expect((await ledgers[0]!.unfinished(10)).length).toBe(0);
      expect((await ledgers[1]!.unfinished(10)).length).toBe(1);
    } finally {
      await Promise.all(ledgers.map((ledger) => ledger.close()));
      await Promise.all([first.drop(), second.drop()]);
    }
  });
});

describe('the SQLite data directory', () => {
  it('serves one bot process: a second exclusive opener is refused until the first closes', async () => {
    const store = sqliteStore();
    const first = await openLedger(store.storage, { exclusive: true });
    await expect(openLedger(store.storage, { exclusive: true })).rejects.toMatchObject({ code: 'data_dir_in_use' });
    await expect(openLedger(store.storage, { exclusive: true })).rejects.toBeInstanceOf(StorageError);
    const sharing = await openLedger(store.storage);
    await sharing.close();
    await first.close();
    const next = await openLedger(store.storage, { exclusive: true });
    await next.close();
    await store.drop();
  });
});
