/**
 * The bot as it runs in production (bin/slack-invite-bot: dist, the background thread, the node flags),
 * killed and restarted mid-work over real HTTP against the fakes: nothing lost, nothing sent twice, one
 * summary per request, updated by whichever process carries on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger, RequestReport } from '../src/invitations/ledger/ledger.js';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { FakeKantata } from './fakes/fake-kantata.js';
import { FakeSlack } from './fakes/fake-slack.js';
import { slackSignature, slashCommandBody } from './fakes/slack-requests.js';
import { postgresAvailable, postgresStore, sqliteStore, type TestStore } from './fakes/stores.js';
import { childEnv, startBot, within, type RunningBot } from './process-harness.js';

const root = resolve(import.meta.dirname, '..');
const launcher = join(root, 'bin', 'slack-invite-bot');
const KANTATA_TOKEN = 'kt-crash-safety-token';
const withPostgres = await postgresAvailable();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakes(inviteDelayMs: number) {
  const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
  slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann Inviter' });
  const kantata = await FakeKantata.start({ token: KANTATA_TOKEN, inviteDelayMs });
  cleanups.push(() => slack.close(), () => kantata.close());
  return { slack, kantata };
}

async function run(store: TestStore, slack: FakeSlack, kantata: FakeKantata): Promise<RunningBot> {
  const cwd = mkdtempSync(join(tmpdir(), 'invite-crash-'));
  const bot = await startBot(launcher, [], {
    cwd,
    env: childEnv({
      ...SLACK_TEST_ENV,
      ...store.env,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      KANTATA_API_TOKEN: KANTATA_TOKEN,
      KANTATA_API_URL: kantata.apiUrl,
      INVITE_USER_LIMIT: '1000',
      INVITE_MAX_PER_REQUEST: '100',
      LOG_LEVEL: 'info',
    }),
    startTimeoutMs: 20_000,
  });
  cleanups.push(() => {
    bot.kill();
    rmSync(cwd, { recursive: true, force: true });
  });
  return bot;
}

let sequence = 0;
async function command(bot: RunningBot, slack: FakeSlack, text: string): Promise<string> {
  sequence += 1;
  const body = slashCommandBody(text, { responseUrl: slack.responseUrl(`crash-${sequence}`), triggerId: `crash-trigger-${sequence}` });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await request(`http://127.0.0.1:${bot.port}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(body, timestamp, SLACK_TEST_ENV.SLACK_SIGNING_SECRET) },
    body,
  });
  return String(((await response.body.json()) as { text?: string }).text ?? '');
}

function people(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `"${prefix} ${i}" <${prefix}${i}@acme.com>`).join(', ');
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

async function openLedgerOf(store: TestStore): Promise<Ledger> {
  const ledger = await store.open();
  cleanups.push(() => ledger.close());
  return ledger;
}

/** Every request finished, and every outcome delivered. */
async function allDone(ledger: Ledger, timeoutMs: number): Promise<void> {
  await until(async () => (await ledger.unfinished(1)).length === 0, timeoutMs, 'every request finished and reported');
}

async function reportsOf(ledger: Ledger, refs: readonly string[]): Promise<RequestReport[]> {
  return Promise.all(refs.map(async (ref) => (await ledger.findRequest(ref)) as RequestReport));
}

/** Nothing sent twice; every invitee invited once, or reported "may have been sent" by a process that died. */
function expectNothingLostOrDoubled(reports: readonly RequestReport[], kantata: FakeKantata, expectedInvitees: number): void {
  const sent = kantata.invitations.map((invitation) => invitation.email);
  expect(sent.length, 'no address was e-mailed twice').toBe(new Set(sent).size);
  const invitees = reports.flatMap((report) => report.invitees);
  expect(invitees).toHaveLength(expectedInvitees);
  for (const invitee of invitees) {
    if (invitee.state === 'invited') expect(sent, invitee.email).toContain(invitee.email);
    else expect([invitee.email, invitee.state, invitee.error?.kind]).toEqual([invitee.email, 'unknown', 'interrupted']);
  }
}

/** One summary per request in the channel, updated in place, ending with the final counts. */
/**
 * One summary per request, updated to its final state. A process killed after setting out to post a
 * summary, before the ledger recorded its `ts`, may have left a copy nobody can update: then, and only
 * then, the summary is posted again saying that an earlier copy may be above, and the ledger follows it.
 */
function expectOneSummaryEach(slack: FakeSlack, reports: readonly RequestReport[]): void {
  for (const report of reports) {
    const summaries = slack.callsTo('chat.postMessage').filter((call) => call.response.ok && !call.args.thread_ts && JSON.stringify(call.args.blocks).includes(report.request.ref));
    const reposts = summaries.filter((call) => JSON.stringify(call.args.blocks).includes('so a copy of it may be above'));
    // The killed process's post may or may not have reached Slack before it died: one copy, or that one and a repost.
    expect(summaries.length - reposts.length, report.request.ref).toBe(reposts.length === 0 ? 1 : summaries.length - 1);
    expect(summaries.length - reposts.length, report.request.ref).toBeLessThanOrEqual(1);
    expect(reposts.length, report.request.ref).toBeLessThanOrEqual(1);
    const followed = summaries.at(-1);
    expect(reposts.length === 0 || followed === reposts[0], report.request.ref).toBe(true);
    const ts = String(followed?.response.ts);
    expect(report.request.summary?.ts).toBe(ts);
    const updates = slack.callsTo('chat.update').filter((call) => call.args.ts === ts && call.response.ok);
    const last = updates.at(-1)?.args ?? followed?.args;
    const invited = report.invitees.filter((invitee) => invitee.state === 'invited').length;
    expect(String(last?.text)).toMatch(new RegExp(`^${invited} of ${report.invitees.length} invited to Kantata OX workspace`));
  }
}

describe('a bot process killed mid fan-out (SIGKILL), then started again', () => {
  it('sends the rest once, reports what was on its way as not confirmed, and finishes the same summary', async () => {
    const store = sqliteStore();
    cleanups.push(() => store.drop());
    const { slack, kantata } = await fakes(250);
    const first = await run(store, slack, kantata);
    expect(await command(first, slack, `${people('kill', 40)} to kantata:12345 as buyer`)).toContain('Inviting 40 people');
    // Killed while calls are on their way: the service has them, the bot never hears back.
    await until(() => kantata.inviteRequests.length >= 10 && kantata.inviteRequests.some((call) => call.status === undefined), 15_000, 'the fan-out under way');
    process.kill(first.pid, 'SIGKILL');
    await within(first.exited, 5_000);
    const sentBeforeRestart = kantata.invitations.length;
    expect(sentBeforeRestart).toBeLessThan(40);

    await run(store, slack, kantata);
    const ledger = await openLedgerOf(store);
    await allDone(ledger, 30_000);
    const [report] = await reportsOf(ledger, [await refOfOnly(slack)]);
    expectNothingLostOrDoubled([report as RequestReport], kantata, 40);
    expect(kantata.invitations.length).toBeGreaterThan(sentBeforeRestart);
    expectOneSummaryEach(slack, [report as RequestReport]);
    const unknown = (report as RequestReport).invitees.filter((invitee) => invitee.state === 'unknown');
    expect(unknown.length).toBeGreaterThan(0);
    const replies = slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts === (report as RequestReport).request.summary?.ts);
    expect(replies.map((reply) => String(reply.args.text)).join('\n')).toContain('The bot stopped while this invitation was on its way to Kantata OX');
  }, 90_000);
});

describe('a bot process stopped mid fan-out (SIGTERM)', () => {
  it('finishes the calls on their way, leaves the rest queued, exits within 10 s, and the next process sends the rest once', async () => {
    const store = sqliteStore();
    cleanups.push(() => store.drop());
    const { slack, kantata } = await fakes(250);
    const first = await run(store, slack, kantata);
    expect(await command(first, slack, `${people('term', 40)} to kantata:12345 as buyer`)).toContain('Inviting 40 people');
    await until(() => kantata.inviteRequests.length >= 10, 15_000, 'the fan-out under way');
    const stoppedAt = Date.now();
    process.kill(first.pid, 'SIGTERM');
    const exit = await within(first.exited, 12_000);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(exit.code).toBe(0);
    expect(first.output()).toContain('"event":"stopped","drained":true');

    const ledger = await openLedgerOf(store);
    const ref = await refOfOnly(slack);
    const left = (await ledger.findRequest(ref)) as RequestReport;
    const states = new Set(left.invitees.map((invitee) => invitee.state));
    expect([...states].sort()).toEqual(['invited', 'queued']);

    await run(store, slack, kantata);
    await allDone(ledger, 30_000);
    const [report] = await reportsOf(ledger, [ref]);
    expectNothingLostOrDoubled([report as RequestReport], kantata, 40);
    expect((report as RequestReport).invitees.every((invitee) => invitee.state === 'invited')).toBe(true);
    expectOneSummaryEach(slack, [report as RequestReport]);
  }, 90_000);
});

describe('the duplicate guard across a restart', () => {
  it('does not e-mail an address invited to the same workspace before the restart', async () => {
    const store = sqliteStore();
    cleanups.push(() => store.drop());
    const { slack, kantata } = await fakes(0);
    const first = await run(store, slack, kantata);
    expect(await command(first, slack, '"Dee" <dee@acme.com> to kantata:12345 as buyer')).toContain('Inviting 1 person');
    await until(() => kantata.invitations.length === 1, 10_000, 'the first invitation');
    process.kill(first.pid, 'SIGTERM');
    await within(first.exited, 12_000);

    const second = await run(store, slack, kantata);
    expect(await command(second, slack, '"Dee" <dee@acme.com> to kantata:12345 as buyer')).toContain('Nobody was invited');
    await new Promise((done) => setTimeout(done, 500));
    expect(kantata.invitations.map((invitation) => invitation.email)).toEqual(['dee@acme.com']);
  }, 60_000);
});

describe.runIf(withPostgres)('two replicas on PostgreSQL', () => {
  it('share the work, and when one is killed mid fan-out the other finishes it: nothing lost, nothing sent twice', async () => {
    const store = await postgresStore();
    cleanups.push(() => store.drop());
    const { slack, kantata } = await fakes(200);
    const replicas = [await run(store, slack, kantata), await run(store, slack, kantata)];
    for (let i = 0; i < 6; i += 1) {
      const replica = replicas[i % 2] as RunningBot;
      expect(await command(replica, slack, `${people(`r${i}x`, 10)} to kantata:12345 as buyer`)).toContain('Inviting 10 people');
    }
    await until(() => kantata.inviteRequests.length >= 15, 20_000, 'the fan-out under way');
    process.kill((replicas[0] as RunningBot).pid, 'SIGKILL');
    await within((replicas[0] as RunningBot).exited, 5_000);

    const ledger = await openLedgerOf(store);
    await allDone(ledger, 60_000);
    const refs = [...new Set(slack.callsTo('chat.postMessage').flatMap((call) => /ref (R[2-9A-Z]{6})/.exec(JSON.stringify(call.args.blocks))?.[1] ?? []))];
    expect(refs).toHaveLength(6);
    const reports = await reportsOf(ledger, refs);
    expectNothingLostOrDoubled(reports, kantata, 60);
    expectOneSummaryEach(slack, reports);
  }, 120_000);
});

/** The reference of the one request these tests make, read off the summary the bot posted. */
async function refOfOnly(slack: FakeSlack): Promise<string> {
  await until(() => slack.callsTo('chat.postMessage').some((call) => call.response.ok), 10_000, 'a summary posted');
  const refs = new Set(slack.callsTo('chat.postMessage').flatMap((call) => /ref (R[2-9A-Z]{6})/.exec(JSON.stringify(call.args.blocks))?.[1] ?? []));
  expect(refs.size).toBe(1);
  return [...refs][0] as string;
}
