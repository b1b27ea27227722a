import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createEngine } from '../../src/engine.js';
import { FollowUp, HourlyBudget, type FollowUpOptions } from '../../src/invitations/follow-up.js';
import { FOLLOW_UP_STEPS_MS, type Ledger } from '../../src/invitations/ledger/ledger.js';
import type { KantataInvitationRequest } from '../../src/invitations/request.js';
import { ManualClock } from '../fakes/clock.js';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { FakeKantata, kantataError } from '../fakes/fake-kantata.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import { sqliteStore } from '../fakes/stores.js';

const KANTATA_TOKEN = 'kt-follow-up-secret';
const T0 = 1_800_000_000_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A real ledger, and the real Kantata client over HTTP against the fake, as the background thread has them. */
async function setup() {
  const kantata = await FakeKantata.start({ token: KANTATA_TOKEN });
  const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: KANTATA_TOKEN, KANTATA_API_URL: kantata.apiUrl });
  const log = recordingLogger([KANTATA_TOKEN]);
  const engine = createEngine(config, { logger: log.logger, clock: new ManualClock(), retryPolicy: { maxAttempts: 1, maxTotalMs: 1_000, baseDelayMs: 1, maxDelayMs: 1 } });
  const store = sqliteStore();
  const ledger = await store.open();
  closers.push(() => kantata.close(), () => engine.close(), async () => ledger.close(), () => store.drop());
  const client = engine.kantata;
  if (!client) throw new Error('Kantata is configured');
  const followUp = (options: Partial<FollowUpOptions> = {}) =>
    new FollowUp({ ledger, inviters: async () => ({ kantata: client }), coordination: { holdsSender: async () => true }, callsPerHour: 60, logger: log.logger, ...options });
  return { kantata, ledger, log, followUp };
}

let sequence = 0;

/** A request to `workspaceId` whose invitees were all invited at `at`: first look due 10 minutes later. */
async function invited(ledger: Ledger, workspaceId: string, emails: readonly string[], at = T0) {
  sequence += 1;
  const request: KantataInvitationRequest = {
    service: 'kantata',
    workspaceId,
    role: 'buyer',
    invitees: emails.map((email) => ({ email, fullName: email })),
    requestedBy: { userId: 'U1', channelId: 'C1' },
  };
  const recorded = await ledger.record({ ref: `F${sequence}`, source: 'command', request, channelId: 'C1', again: false }, { budget: { limit: 1_000, windowMs: HOUR }, duplicateWindowMs: 0 }, at);
  if (recorded.kind !== 'recorded') throw new Error('not recorded');
  const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: at, leaseMs: 30_000, limit: 100, wholeRequest: false });
  const ids = (work?.invitees ?? []).map((invitee) => invitee.id);
  await ledger.settleInvitees(recorded.request.id, ids, { state: 'invited', attempts: 1, followUpAt: at + (FOLLOW_UP_STEPS_MS[0] ?? 0) }, at);
  return recorded.request.ref;
}

async function inviteesOf(ledger: Ledger, ref: string) {
  return (await ledger.findRequest(ref))?.invitees.map((invitee) => ({ email: invitee.email, joined: invitee.joinedAt !== undefined, step: invitee.followUp?.step })) ?? [];
}

const lookedAt = (kantata: FakeKantata) => kantata.participationRequests.map((request) => new URL(request.path, 'http://x').searchParams.get('workspace_id'));

describe('the follow-up', () => {
  it('looks once per project however many are due there, and notes who joined', async () => {
    const { kantata, ledger, followUp } = await setup();
    const first = await invited(ledger, '12345', ['bob@acme.com', 'ann@acme.com']);
    const second = await invited(ledger, '12345', ['Cy@Acme.com'], T0 + MINUTE);
    kantata.addParticipant('12345', { email: 'bob@acme.com', fullName: 'Bob', role: 'buyer' });
    kantata.addParticipant('12345', { email: 'cy@acme.com', fullName: 'Cy', role: 'buyer' });
    let told = 0;
    const loop = followUp({ onJoined: () => (told += 1) });

    expect(await loop.runDue(T0 + 9 * MINUTE)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(kantata.participationRequests).toEqual([]);
    expect(await loop.runDue(T0 + 11 * MINUTE)).toEqual({ looked: 1, joined: 2, deferred: 0 });
    expect(lookedAt(kantata)).toEqual(['12345']);
    expect(told).toBe(1);
    expect(await inviteesOf(ledger, first)).toEqual([
      { email: 'bob@acme.com', joined: true, step: undefined },
      // Not on the project yet: looked for again an hour after the invitation.
      { email: 'ann@acme.com', joined: false, step: 1 },
    ]);
    expect(await inviteesOf(ledger, second)).toEqual([{ email: 'Cy@Acme.com', joined: true, step: undefined }]);
    expect(await loop.runDue(T0 + 30 * MINUTE)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(kantata.participationRequests).toHaveLength(1);
  });

  it('keeps to its hourly budget: a project left out comes first once the hour has passed', async () => {
    const { kantata, ledger, followUp } = await setup();
    await invited(ledger, '12345', ['a@acme.com'], T0);
    await invited(ledger, '12346', ['b@acme.com'], T0 + MINUTE);
    const third = await invited(ledger, '4242', ['c@acme.com'], T0 + 2 * MINUTE);
    kantata.addParticipant('4242', { email: 'c@acme.com', fullName: 'C', role: 'buyer' });
    const loop = followUp({ callsPerHour: 2 });
    const due = T0 + 15 * MINUTE;

    expect(await loop.runDue(due)).toEqual({ looked: 2, joined: 0, deferred: 1 });
    expect(lookedAt(kantata)).toEqual(['12345', '12346']);
    expect(await loop.runDue(due + 30 * MINUTE)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(await loop.runDue(due + HOUR - 1)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(kantata.participationRequests).toHaveLength(2);
    // The hour is over: the project that waited is looked at before those due again since.
    expect(await loop.runDue(due + HOUR)).toEqual({ looked: 2, joined: 1, deferred: 1 });
    expect(lookedAt(kantata)).toEqual(['12345', '12346', '4242', '12345']);
    expect(await inviteesOf(ledger, third)).toEqual([{ email: 'c@acme.com', joined: true, step: undefined }]);
  });

  it('counts a failed lookup against the budget and looks for those people again at their next step', async () => {
    const { kantata, ledger, followUp, log } = await setup();
    const ref = await invited(ledger, '12345', ['bob@acme.com']);
    kantata.addParticipant('12345', { email: 'bob@acme.com', fullName: 'Bob', role: 'buyer' });
    kantata.server.respondNextTo(/\/participations/, kantataError(500, 'system', 'Something went wrong'));
    const loop = followUp({ callsPerHour: 2 });

    expect(await loop.runDue(T0 + 10 * MINUTE)).toEqual({ looked: 1, joined: 0, deferred: 0 });
    expect(await inviteesOf(ledger, ref)).toEqual([{ email: 'bob@acme.com', joined: false, step: 1 }]);
    expect(log.entries().filter((entry) => entry.event === 'follow_up_lookup_failed').map((entry) => entry.workspaceId)).toEqual(['12345']);
    // Not asked again at once; at the next step (an hour after the invitation) the last look of the budget finds him.
    expect(await loop.runDue(T0 + 59 * MINUTE)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(await loop.runDue(T0 + HOUR)).toEqual({ looked: 1, joined: 1, deferred: 0 });
    expect(kantata.participationRequests.map((request) => request.status)).toEqual([500, 200]);
    expect(await inviteesOf(ledger, ref)).toEqual([{ email: 'bob@acme.com', joined: true, step: undefined }]);
  });

  it('leaves it to the process that sends for Kantata, and does nothing with a budget of 0', async () => {
    const { kantata, ledger, followUp } = await setup();
    const ref = await invited(ledger, '12345', ['bob@acme.com']);
    const asked: string[] = [];
    const elsewhere = followUp({ coordination: { holdsSender: async (service) => (asked.push(service), false) } });
    expect(await elsewhere.runDue(T0 + HOUR)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(asked).toEqual(['kantata']);
    expect(await followUp({ callsPerHour: 0 }).runDue(T0 + HOUR)).toEqual({ looked: 0, joined: 0, deferred: 0 });
    expect(kantata.participationRequests).toEqual([]);
    expect(await inviteesOf(ledger, ref)).toEqual([{ email: 'bob@acme.com', joined: false, step: 0 }]);
  });
});

describe('HourlyBudget', () => {
  it('allows its limit in any sliding hour', () => {
    const budget = new HourlyBudget(2);
    expect([budget.take(T0), budget.take(T0 + 10 * MINUTE), budget.take(T0 + 20 * MINUTE)]).toEqual([true, true, false]);
    expect(budget.take(T0 + HOUR - 1)).toBe(false);
    expect(budget.take(T0 + HOUR)).toBe(true);
    expect(budget.remaining(T0 + HOUR)).toBe(0);
    expect(budget.remaining(T0 + HOUR + 10 * MINUTE)).toBe(1);
  });
});
