import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { singleProcessCoordination } from '../../src/invitations/ledger/coordination.js';
import type { InvitationOutcome, InvitationResult } from '../../src/invitations/outcome.js';
import type { HuddleInvitationRequest, InvitationRequest, KantataInvitationRequest } from '../../src/invitations/request.js';
import { Sender } from '../../src/invitations/sender.js';
import { newReference } from '../../src/reference.js';
import type { RetryPolicy } from '../../src/providers/retry.js';
import { ManualClock } from '../fakes/clock.js';
import { FakeHuddle, huddleError, huddleTooManyRequests } from '../fakes/fake-huddle.js';
import { FakeKantata, kantataError } from '../fakes/fake-kantata.js';
import { htmlErrorPage } from '../fakes/fake-server.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { sendThrough as sendRecorded } from '../fakes/send-through.js';
import { sqliteStore } from '../fakes/stores.js';

const KANTATA_TOKEN = 'kt-integration-secret';
const HUDDLE_TOKEN = 'ht-integration-secret';
const FAST_RETRIES: RetryPolicy = { maxAttempts: 3, maxTotalMs: 5_000, baseDelayMs: 10, maxDelayMs: 50 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function kantataSetup(fakeOptions: Partial<ConstructorParameters<typeof FakeKantata>[0]> = {}, env: Record<string, string> = {}) {
  const fake = await FakeKantata.start({ token: KANTATA_TOKEN, ...fakeOptions });
  const log = recordingLogger([KANTATA_TOKEN]);
  const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: KANTATA_TOKEN, KANTATA_API_URL: fake.apiUrl, ...env });
  const engine = createEngine(config, { logger: log.logger, clock: new ManualClock(), retryPolicy: FAST_RETRIES });
  closers.push(() => fake.close(), () => engine.close());
  return { fake, engine, log };
}

async function huddleSetup(env: Record<string, string> = { HUDDLE_API_TOKEN: HUDDLE_TOKEN }, fakeOptions: ConstructorParameters<typeof FakeHuddle>[0] = {}) {
  const fake = await FakeHuddle.start({ tokens: [HUDDLE_TOKEN], ...fakeOptions });
  const log = recordingLogger([HUDDLE_TOKEN]);
  const config = parseConfig({ ...SLACK_TEST_ENV, HUDDLE_API_URL: fake.apiUrl, ...env });
  const engine = createEngine(config, { logger: log.logger, clock: new ManualClock(), retryPolicy: FAST_RETRIES });
  closers.push(() => fake.close(), () => engine.close());
  return { fake, engine, log };
}

function kantataRequest(count: number, overrides: Partial<KantataInvitationRequest> = {}): KantataInvitationRequest {
  return {
    service: 'kantata',
    workspaceId: '12345',
    role: 'buyer',
    invitees: Array.from({ length: count }, (_, i) => ({ email: `person${i}@acme.com`, fullName: `Person ${i}` })),
    requestedBy: { userId: 'U1' },
    ...overrides,
  };
}

function huddleRequest(addresses: string[], overrides: Partial<HuddleInvitationRequest> = {}): HuddleInvitationRequest {
  return {
    service: 'huddle',
    workspaceId: '89178',
    invitees: addresses.map((email) => ({ email })),
    requestedBy: { userId: 'U1' },
    ...overrides,
  };
}

const statuses = (outcomes: readonly InvitationOutcome[]) => outcomes.map((o) => o.status);

/** Records the request in a fresh ledger, lets a Sender send it, and reads every outcome back from the ledger. */
async function sendThrough(engine: Engine, request: InvitationRequest): Promise<InvitationResult> {
  const store = sqliteStore();
  const ledger = await store.open();
  closers.push(async () => {
    await ledger.close();
    await store.drop();
  });
  return sendRecorded(engine, ledger, request);
}

describe('the Sender with Kantata OX', () => {
  it('invites one person with the documented request', async () => {
    const { fake, engine } = await kantataSetup();
    const result = await sendThrough(engine, 
      kantataRequest(1, { subject: 'Welcome', message: 'Hello "Bob" <b>&', invitees: [{ email: 'bob@acme.com', fullName: 'Bob Smith' }] }),
    );
    expect(result.outcomes).toEqual([{ status: 'invited', invitee: { email: 'bob@acme.com', fullName: 'Bob Smith' }, invitationId: '9001' }]);
    const [sent] = fake.inviteRequests;
    expect(sent?.path).toBe('/api/v1/workspaces/12345/invite');
    expect(sent?.headers).toMatchObject({
      authorization: `Bearer ${KANTATA_TOKEN}`,
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': expect.stringMatching(/^slack-invite-bot\//),
    });
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      invitation: { full_name: 'Bob Smith', email_address: 'bob@acme.com', invitee_role: 'buyer', subject: 'Welcome', message: 'Hello "Bob" <b>&' },
    });
  });

  it('sends one call per invitee and invites everyone exactly once', async () => {
    const { fake, engine } = await kantataSetup();
    const result = await sendThrough(engine, kantataRequest(12));
    expect(statuses(result.outcomes)).toEqual(Array(12).fill('invited'));
    expect(result.outcomes.map((o) => o.invitee.email)).toEqual(Array.from({ length: 12 }, (_, i) => `person${i}@acme.com`));
    expect(fake.invitations.map((i) => i.email).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `person${i}@acme.com`).sort());
    expect(fake.inviteRequests).toHaveLength(12);
  });

  it('reports a partial failure per invitee with the service message', async () => {
    const { engine } = await kantataSetup({
      refuse: ({ email }) => (email === 'person1@acme.com' ? kantataError(422, 'validation', 'Email address is already on this project') : undefined),
    });
    const result = await sendThrough(engine, kantataRequest(3));
    expect(statuses(result.outcomes)).toEqual(['invited', 'failed', 'invited']);
    expect(result.outcomes[1]).toMatchObject({
      status: 'failed',
      error: { kind: 'invalid_request', httpStatus: 422, code: 'validation', serviceMessage: 'Email address is already on this project' },
    });
  });

  it('retries a 429 and then succeeds, sending the invitation once', async () => {
    const { fake, engine } = await kantataSetup();
    fake.server.respondNextTo(/\/invite/, kantataError(429, 'system', 'Too many requests'));
    const result = await sendThrough(engine, kantataRequest(1));
    expect(statuses(result.outcomes)).toEqual(['invited']);
    expect(fake.inviteRequests).toHaveLength(2);
    expect(fake.invitations).toHaveLength(1);
  });

  it('gives up on a persistent 503 after the capped attempts, reporting that nothing was sent', async () => {
    const { fake, engine } = await kantataSetup();
    fake.server.respondNextTo(/\/invite/, ...Array(5).fill(kantataError(503, 'system', 'Down for maintenance')));
    const result = await sendThrough(engine, kantataRequest(1));
    expect(result.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'unavailable', httpStatus: 503, serviceMessage: 'Down for maintenance' } });
    expect(fake.inviteRequests).toHaveLength(FAST_RETRIES.maxAttempts);
    expect(fake.invitations).toHaveLength(0);
  });

  it('marks a timeout unknown and never sends a second request', async () => {
    const { fake, engine } = await kantataSetup({}, { UPSTREAM_RESPONSE_TIMEOUT_MS: '300' });
    fake.server.respondNextTo(/\/invite/, { status: 200, body: '{}', delayMs: 1_500 });
    const result = await sendThrough(engine, kantataRequest(1));
    expect(result.outcomes[0]).toMatchObject({ status: 'unknown', error: { kind: 'no_answer', reason: 'no answer within 0.3 s' } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.inviteRequests).toHaveLength(1);
  });

  it('marks an HTML 502 unknown without retrying', async () => {
    const { fake, engine } = await kantataSetup();
    fake.server.respondNextTo(/\/invite/, htmlErrorPage(502));
    const result = await sendThrough(engine, kantataRequest(1));
    expect(result.outcomes[0]).toMatchObject({ status: 'unknown', error: { kind: 'unexpected_response', httpStatus: 502 } });
    expect(fake.inviteRequests).toHaveLength(1);
  });

  it('fails every invitee with the documented message when the token is wrong, without retrying', async () => {
    const { fake, engine } = await kantataSetup({ token: 'another-token' });
    const result = await sendThrough(engine, kantataRequest(2));
    expect(result.outcomes.map((o) => o.status === 'failed' && o.error)).toEqual([
      { kind: 'authentication', httpStatus: 401, code: 'oauth', serviceMessage: 'Invalid OAuth 2 Request' },
      { kind: 'authentication', httpStatus: 401, code: 'oauth', serviceMessage: 'Invalid OAuth 2 Request' },
    ]);
    expect(fake.inviteRequests).toHaveLength(2);
  });

  it('reports 403 and 404 from the fake as permission and not-found failures', async () => {
    const { engine } = await kantataSetup();
    const forbidden = await sendThrough(engine, kantataRequest(1, { workspaceId: '777' }));
    expect(forbidden.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'permission', httpStatus: 403 } });
    const missing = await sendThrough(engine, kantataRequest(1, { workspaceId: '999' }));
    expect(missing.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'not_found', httpStatus: 404, serviceMessage: 'Workspace 999 could not be found' } });
  });

  it('reports a refused connection as not sent, after retrying it', async () => {
    const { fake, engine } = await kantataSetup();
    await fake.close();
    const result = await sendThrough(engine, kantataRequest(1));
    expect(result.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'connection', reason: 'connection refused' } });
  });
});

describe('the Sender with Huddle', () => {
  it('invites many addresses in one XML call answered 202', async () => {
    const { fake, engine } = await huddleSetup();
    const result = await sendThrough(engine, huddleRequest(['bob@acme.com', 'ann@acme.com', 'zoë@x'.replace('ë', 'e') + '.com'], { message: 'Join us </Message>' }));
    expect(statuses(result.outcomes)).toEqual(['invited', 'invited', 'invited']);
    expect(fake.inviteRequests).toHaveLength(1);
    expect(fake.inviteRequests[0]?.headers).toMatchObject({
      authorization: `Bearer ${HUDDLE_TOKEN}`,
      accept: 'application/xml',
      'content-type': 'application/xml; charset=utf-8',
    });
    expect(fake.invitations).toEqual([
      { workspaceId: '89178', addresses: ['bob@acme.com', 'ann@acme.com', 'zoe@x.com'], message: 'Join us </Message>' },
    ]);
  });

  it('fails every address with Huddle’s own 400 and 403 messages', async () => {
    const { fake, engine } = await huddleSetup();
    fake.server.respondNext(huddleError(400, 0, 'I-am-not-an-email-address could not be recognised as an email address'));
    const bad = await sendThrough(engine, huddleRequest(['a@acme.com', 'b@acme.com']));
    expect(bad.outcomes.map((o) => o.status === 'failed' && o.error)).toEqual(
      Array(2).fill({ kind: 'invalid_request', httpStatus: 400, code: '0', serviceMessage: 'I-am-not-an-email-address could not be recognised as an email address' }),
    );
    const forbidden = await sendThrough(engine, huddleRequest(['a@acme.com'], { workspaceId: '4040' }));
    expect(forbidden.outcomes[0]).toMatchObject({
      status: 'failed',
      error: { kind: 'permission', httpStatus: 403, code: '1004', serviceMessage: 'You are not authorised to call this method' },
    });
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    const { fake, engine } = await huddleSetup();
    fake.server.respondNext(huddleTooManyRequests(2));
    const result = await sendThrough(engine, huddleRequest(['a@acme.com']));
    expect(statuses(result.outcomes)).toEqual(['invited']);
    expect(fake.inviteRequests).toHaveLength(2);
  });

  it('never retries Basic credentials after a 401, so the account is not locked', async () => {
    const { fake, engine } = await huddleSetup(
      { HUDDLE_USERNAME: 'bob', HUDDLE_PASSWORD: 'wrong-password' },
      { users: { bob: 'right-password' } },
    );
    const result = await sendThrough(engine, huddleRequest(['a@acme.com']));
    expect(result.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'authentication', httpStatus: 401 } });
    expect(fake.inviteRequests).toHaveLength(1);
    expect(fake.failedBasicLogins).toBe(1);
  });

  it('sends Basic credentials that work', async () => {
    const { fake, engine } = await huddleSetup({ HUDDLE_USERNAME: 'bob', HUDDLE_PASSWORD: 'right-password' }, { users: { bob: 'right-password' } });
    const result = await sendThrough(engine, huddleRequest(['a@acme.com']));
    expect(statuses(result.outcomes)).toEqual(['invited']);
    expect(fake.inviteRequests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('bob:right-password').toString('base64')}`);
  });
});

describe('the Sender and the ledger', () => {
  async function ledgerWith(request: InvitationRequest) {
    const store = sqliteStore();
    const ledger = await store.open();
    closers.push(async () => {
      await ledger.close();
      await store.drop();
    });
    const ref = newReference();
    await ledger.record({ ref, source: 'command', request, channelId: 'C1', again: true }, { budget: { limit: 10_000, windowMs: 60_000 }, duplicateWindowMs: 1 }, Date.now());
    return { ledger, ref };
  }

  function senderFor(engine: Engine, ledger: Awaited<ReturnType<typeof ledgerWith>>['ledger'], owner: string, holds = true) {
    return new Sender({
      ledger,
      services: ['kantata'],
      inviters: async () => (engine.kantata ? { kantata: engine.kantata } : {}),
      coordination: { ...singleProcessCoordination(), holdsSender: async () => holds },
      owner,
      logger: recordingLogger([]).logger,
      pollMs: 20,
    });
  }

  it('puts an invitee waiting out a Retry-After back in the queue on shutdown, and the next process sends it once', async () => {
    const fake = await FakeKantata.start({ token: KANTATA_TOKEN });
    const config = parseConfig({ ...SLACK_TEST_ENV, KANTATA_API_TOKEN: KANTATA_TOKEN, KANTATA_API_URL: fake.apiUrl });
    const engine = createEngine(config, { logger: recordingLogger([]).logger });
    closers.push(() => fake.close(), () => engine.close());
    fake.server.respondNextTo(/\/invite/, { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '30' }, body: JSON.stringify({ errors: [{ type: 'system', message: 'Too many requests' }] }) });
    const { ledger, ref } = await ledgerWith(kantataRequest(1));
    const first = senderFor(engine, ledger, 'first-process');
    await first.start();
    while (fake.inviteRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const stoppedAt = Date.now();
    expect(await first.stop(5_000)).toEqual({ drained: true });
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect((await ledger.findRequest(ref))?.invitees.map((i) => i.state)).toEqual(['queued']);

    // The next process: its own clients, so nothing of the first one's pacing is carried over.
    const nextEngine = createEngine(config, { logger: recordingLogger([]).logger });
    closers.push(() => nextEngine.close());
    const second = senderFor(nextEngine, ledger, 'second-process');
    await second.start();
    while ((await ledger.findRequest(ref))?.request.finishedAt === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    await second.stop(1_000);
    expect((await ledger.findRequest(ref))?.invitees.map((i) => [i.state, i.attempts])).toEqual([['invited', 1]]);
    expect(fake.invitations).toHaveLength(1);
  });

  it('reports what a dead process was sending as not confirmed, and never sends it again', async () => {
    const { fake, engine } = await kantataSetup();
    const { ledger, ref } = await ledgerWith(kantataRequest(2));
    await ledger.claimInvitees({ service: 'kantata', owner: 'crashed-process', now: Date.now(), leaseMs: 60_000, limit: 1, wholeRequest: false });
    const sender = senderFor(engine, ledger, 'new-process');
    await sender.start();
    while ((await ledger.findRequest(ref))?.request.finishedAt === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    await sender.stop(1_000);
    const report = await ledger.findRequest(ref);
    expect(report?.invitees.map((i) => [i.email, i.state, i.error?.kind])).toEqual([
      ['person0@acme.com', 'unknown', 'interrupted'],
      ['person1@acme.com', 'invited', undefined],
    ]);
    expect(fake.invitations.map((i) => i.email)).toEqual(['person1@acme.com']);
  });

  it('sends nothing for a service while another replica holds its sender lock', async () => {
    const { fake, engine } = await kantataSetup();
    const { ledger, ref } = await ledgerWith(kantataRequest(2));
    const sender = senderFor(engine, ledger, 'standby-replica', false);
    await sender.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sender.stop(1_000);
    expect(fake.inviteRequests).toHaveLength(0);
    expect((await ledger.findRequest(ref))?.invitees.map((i) => i.state)).toEqual(['queued', 'queued']);
  });
});
