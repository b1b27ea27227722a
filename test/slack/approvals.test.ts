import { afterEach, describe, expect, it } from 'vitest';
import { APPROVAL_ACTIONS } from '../../src/slack/approval-render.js';
import { DENY_MODAL_CALLBACK_ID } from '../../src/slack/views/deny-modal.js';
import { rawControlCharacters } from '../fakes/mrkdwn.js';
import { postgresAvailable, postgresStore, type TestStore } from '../fakes/stores.js';
import { buttonClick, clickAnswers, inviteRequestCount, posted, startHarness, useHarness, type Harness } from './harness.js';

const start = useHarness();
const withPostgres = await postgresAvailable();

/** Approvers Lee and Max; Ann (U1) asks. */
const APPROVERS = { INVITE_APPROVERS: 'ULEE,UMAX', INVITE_INTERNAL_DOMAINS: 'northwind.example' };

function addApprovers(h: Harness): void {
  h.slack.addUser({ id: 'ULEE', email: 'lee@northwind.example', realName: 'Lee Approver' });
  h.slack.addUser({ id: 'UMAX', email: 'max@northwind.example', realName: 'Max Approver' });
  h.slack.addUser({ id: 'UEVE', email: 'eve@northwind.example', realName: 'Eve Bystander' });
}

const blocksOf = (call: { args: Record<string, unknown> } | undefined) => JSON.stringify(call?.args.blocks ?? []);
/** Questions posted to approvers (they carry the Approve button). */
const questions = (h: Harness) => posted(h).filter((call) => blocksOf(call).includes(APPROVAL_ACTIONS.approve));
const directMessagesTo = (h: Harness, userId: string) => posted(h).filter((call) => call.args.channel === userId);
const channelPosts = (h: Harness, channel = 'C1') => posted(h).filter((call) => call.args.channel === channel && call.args.thread_ts === undefined);
const auditLines = (h: Harness, decision: string) => h.log.entries().filter((entry) => entry.event === 'audit' && entry.decision === decision);
/** The text of a posted message as it reads now, after any chat.update. */
const current = (h: Harness, channel: string, ts: string) => JSON.stringify(h.slack.messages.get(`${channel}/${ts}`)?.blocks ?? []);

async function waitForQuestions(h: Harness, count: number): Promise<void> {
  await h.waitFor(() => questions(h).length >= count);
}

describe('approvals: which requests wait', () => {
  it('external: an outside address waits for an approver, asked by direct message with Approve and Deny; nothing is sent', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'external' } });
    addApprovers(h);
    const response = await h.command('"Bob Smith" <bob@acme.com>, "Ann Co" <ann@northwind.example> to kantata:12345 as buyer -- Welcome');
    const told = String(response.json?.text);
    expect(told).toContain('needs approval, because it invites people from outside the company');
    expect(told).toContain('I asked <@ULEE>, <@UMAX>');
    await waitForQuestions(h, 2);
    expect(questions(h).map((call) => call.args.channel).sort()).toEqual(['ULEE', 'UMAX']);
    const question = blocksOf(questions(h)[0]);
    expect(question).toContain('<@U1> asks to invite 2 people to Kantata OX workspace');
    expect(question).toContain('*Bob Smith* (bob@acme.com)');
    expect(question).toContain('Needs approval because it invites people from outside the company.');
    expect(question).toContain('Personal message: “Welcome”');
    expect(question).toContain(APPROVAL_ACTIONS.deny);
    expect(rawControlCharacters(question)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inviteRequestCount(h)).toBe(0);
    expect(channelPosts(h)).toEqual([]);
    expect(auditLines(h, 'accepted')).toMatchObject([{ approval: 'external' }]);
  });

  it('external: internal addresses only are sent at once', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'external' } });
    const response = await h.command('"Ann Co" <ann@northwind.example>, "Sub" <sub@eu.northwind.example> to kantata:12345 as maven');
    expect(String(response.json?.text)).toContain('Inviting 2 people');
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['ann@northwind.example', 'sub@eu.northwind.example']);
    expect(questions(h)).toEqual([]);
  });

  it('client: Kantata buyer invitations wait, team-member invitations do not', async () => {
    const h = await start({ env: { INVITE_APPROVERS: 'ULEE,UMAX', INVITE_APPROVAL_REQUIRED: 'client' } });
    addApprovers(h);
    expect(String((await h.command('"Bob" <bob@acme.com> to kantata:12345 as maven')).json?.text)).toContain('Inviting 1 person');
    expect(String((await h.command('"Cy" <cy@acme.com> to kantata:12345 as buyer')).json?.text)).toContain('because it invites people to a client team');
    await waitForQuestions(h, 2);
    await h.waitFor(() => (h.kantata?.invitations.length ?? 0) === 1);
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
    expect(blocksOf(questions(h)[0])).toContain('cy@acme.com');
  });

  it('all: every request waits, Huddle too, and a request of only recent duplicates is not held', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'all', INVITE_APPROVAL_CHANNEL: 'CAPPROVE' } });
    addApprovers(h);
    const response = await h.command('bob@acme.com to huddle:89178');
    expect(String(response.json?.text)).toContain('because every invitation needs approval here. I asked the approvers in <#CAPPROVE>');
    await waitForQuestions(h, 1);
    // One question in the approval channel, naming the approvers so that they are notified.
    expect(questions(h).map((call) => call.args.channel)).toEqual(['CAPPROVE']);
    expect(blocksOf(questions(h)[0])).toContain('Approvers: <@ULEE>, <@UMAX>.');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('asks each member of an approver user group, except the requester', async () => {
    const h = await start({ env: { INVITE_APPROVERS: 'SLEADS', INVITE_APPROVAL_REQUIRED: 'all' } });
    addApprovers(h);
    h.slack.usergroups.set('SLEADS', ['ULEE', 'U1', 'UMAX']);
    const response = await h.command('"Bob" <bob@acme.com> to kantata:12345 as maven');
    expect(String(response.json?.text)).toContain('I asked <!subteam^SLEADS>');
    await waitForQuestions(h, 2);
    expect(questions(h).map((call) => call.args.channel).sort()).toEqual(['ULEE', 'UMAX']);
  });

  it('tells the requester who used the form that the request waits', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'all' } });
    addApprovers(h);
    const { viewSubmission } = await import('./harness.js');
    const values = {
      service: { service: { type: 'static_select', selected_option: { value: 'huddle' } } },
      workspace: { workspace: { type: 'external_select', selected_option: { value: 'huddle:89178' } } },
      people: { people: { type: 'plain_text_input', value: 'bob@acme.com' } },
    };
    const response = await h.interaction(viewSubmission(values, JSON.stringify({ channelId: 'C1', userId: 'U1' })));
    expect(response.status).toBe(200);
    await h.waitFor(() => h.slack.callsTo('chat.postEphemeral').length > 0);
    expect(String(h.slack.callsTo('chat.postEphemeral')[0]?.args.text)).toContain('needs approval');
    await waitForQuestions(h, 2);
    expect(inviteRequestCount(h)).toBe(0);
  });
});

describe('approvals: deciding', () => {
  it('an approval sends the invitation, shows "approved by" everywhere and tells the requester', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'external' } });
    addApprovers(h);
    const told = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    const ref = /ref (R[A-Z0-9]+)/.exec(String(told.json?.text))?.[1] ?? (await h.ledger.unfinished(1))[0]?.request.ref ?? '';
    await waitForQuestions(h, 2);
    expect((await h.interaction(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'ULEE', channelId: 'DLEE' }))).status).toBe(200);
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
    // Both approvers' copies now say who decided, without buttons.
    for (const question of questions(h)) {
      const now = current(h, String(question.args.channel).replace(/^U/, 'D'), String((question.response as { ts: string }).ts));
      expect(now).toContain('Approved by <@ULEE>');
      expect(now).not.toContain(APPROVAL_ACTIONS.approve);
    }
    await h.waitFor(() => directMessagesTo(h, 'U1').length > 0);
    expect(String(directMessagesTo(h, 'U1')[0]?.args.text)).toContain('<@ULEE> approved your request to invite 1 person');
    const [summary] = channelPosts(h);
    expect(blocksOf(summary)).toContain('Approved by <@ULEE>.');
    expect(blocksOf(summary)).toContain(':white_check_mark: *Bob Smith* (bob@acme.com)');
    expect(auditLines(h, 'approved')).toMatchObject([{ ref, by: 'ULEE', userId: 'U1', addresses: ['bob@acme.com'] }]);
    expect(clickAnswers(h, 'ULEE')).toEqual([]);
  });

  it('a denial asks for a reason, sends nothing, and tells the requester and the channel why', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'external' } });
    addApprovers(h);
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await waitForQuestions(h, 2);
    const [held] = await h.ledger.unfinished(1);
    const ref = held?.request.ref ?? '';
    await h.interaction(buttonClick(h, APPROVAL_ACTIONS.deny, ref, { userId: 'UMAX', channelId: 'DMAX' }));
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    const form = h.slack.callsTo('views.open')[0]?.args.view as { callback_id: string; private_metadata: string };
    expect(form.callback_id).toBe(DENY_MODAL_CALLBACK_ID);
    const submitted = await h.interaction({
      type: 'view_submission',
      team: { id: 'T1', domain: 'acme' },
      user: { id: 'UMAX', username: 'max', name: 'max', team_id: 'T1' },
      api_app_id: 'A1',
      token: 'deprecated-verification-token',
      trigger_id: 'trigger-deny',
      view: { id: 'V2', team_id: 'T1', type: 'modal', callback_id: DENY_MODAL_CALLBACK_ID, private_metadata: form.private_metadata, hash: '1.x', state: { values: { reason: { reason: { type: 'plain_text_input', value: 'Not <!here> this quarter' } } } } },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe('');
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
    await h.waitFor(() => directMessagesTo(h, 'U1').length > 0);
    expect(String(directMessagesTo(h, 'U1')[0]?.args.text)).toContain('<@UMAX> denied your request to invite 1 person to');
    expect(String(directMessagesTo(h, 'U1')[0]?.args.text)).toContain('“Not &lt;!here&gt; this quarter”. Nothing was sent.');
    const [summary] = channelPosts(h);
    expect(blocksOf(summary)).toContain('denied <@U1>’s request to invite 1 person');
    const replies = posted(h).filter((call) => call.args.thread_ts !== undefined);
    expect(replies).toHaveLength(1);
    expect(blocksOf(replies[0])).toContain('Not sent: an approver denied the request: \\"Not &lt;!here&gt; this quarter\\"');
    for (const question of questions(h)) {
      expect(current(h, String(question.args.channel).replace(/^U/, 'D'), String((question.response as { ts: string }).ts))).toContain('Denied by <@UMAX>');
    }
    expect(auditLines(h, 'approval_denied')).toMatchObject([{ ref, by: 'UMAX', reason: 'Not <!here> this quarter' }]);
  });

  it('two approvers clicking at once: one decision, one invitation; the second is told who was first', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'all' } });
    addApprovers(h);
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await waitForQuestions(h, 2);
    const ref = (await h.ledger.unfinished(1))[0]?.request.ref ?? '';
    await Promise.all([
      h.interaction(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'ULEE', channelId: 'DLEE' })),
      h.interaction(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'UMAX', channelId: 'DMAX' })),
    ]);
    await h.settle();
    await h.waitFor(() => clickAnswers(h, 'ULEE').length + clickAnswers(h, 'UMAX').length > 0);
    expect(h.kantata?.inviteRequests).toHaveLength(1);
    expect(auditLines(h, 'approved')).toHaveLength(1);
    const [late] = [...clickAnswers(h, 'ULEE'), ...clickAnswers(h, 'UMAX')];
    expect(late).toContain('This request was already decided: :white_check_mark: Approved by');
  });

  it('refuses the requester approving their own request, and anyone who is not an approver', async () => {
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVERS: 'U1,ULEE', INVITE_APPROVAL_REQUIRED: 'all', INVITE_APPROVAL_CHANNEL: 'CAPPROVE' } });
    addApprovers(h);
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await waitForQuestions(h, 1);
    const ref = (await h.ledger.unfinished(1))[0]?.request.ref ?? '';
    await h.interaction(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'U1', channelId: 'CAPPROVE' }));
    await h.interaction(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'UEVE', channelId: 'CAPPROVE' }));
    await h.waitFor(() => clickAnswers(h, 'U1').length > 0 && clickAnswers(h, 'UEVE').length > 0);
    expect(clickAnswers(h, 'U1')).toEqual(['This is your own request, so another approver has to approve it.']);
    expect(clickAnswers(h, 'UEVE')).toEqual(['Only the approvers set for this bot (INVITE_APPROVERS) can decide on invitation requests.']);
    expect((await h.ledger.findRequest(ref))?.request.status).toBe('awaiting_approval');
    expect(auditLines(h, 'self_approval_refused')).toMatchObject([{ ref, by: 'U1' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inviteRequestCount(h)).toBe(0);
    // Another approver still can.
    await h.interaction(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'ULEE', channelId: 'CAPPROVE' }));
    await h.settle();
    expect(h.kantata?.inviteRequests).toHaveLength(1);
  });

  it('expires what nobody decided in time: nothing is sent, and the requester and approvers are told', async () => {
    let offsetMs = 0;
    const h = await start({ env: { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'all', INVITE_APPROVAL_EXPIRY_HOURS: '1' }, now: () => Date.now() + offsetMs, timings: { approvalSweepMs: 50 } });
    addApprovers(h);
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await waitForQuestions(h, 2);
    const ref = (await h.ledger.unfinished(1))[0]?.request.ref ?? '';
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await h.ledger.findRequest(ref))?.request.status).toBe('awaiting_approval');
    offsetMs = 3_600_000 + 1_000;
    await h.waitFor(() => directMessagesTo(h, 'U1').length > 0);
    expect(String(directMessagesTo(h, 'U1')[0]?.args.text)).toContain('expired after 1 hour without a decision. Nothing was sent');
    await h.settle();
    expect(blocksOf(channelPosts(h)[0])).toContain('expired without a decision; nothing was sent');
    for (const question of questions(h)) {
      expect(current(h, String(question.args.channel).replace(/^U/, 'D'), String((question.response as { ts: string }).ts))).toContain('Expired');
    }
    // A click after expiry changes nothing.
    // Signed at the bot's time: its replay guard judges a request's age by its own clock.
    const late = new URLSearchParams({ payload: JSON.stringify(buttonClick(h, APPROVAL_ACTIONS.approve, ref, { userId: 'ULEE', channelId: 'DLEE' })) }).toString();
    expect((await h.post(late, {}, Math.floor((Date.now() + offsetMs) / 1000))).status).toBe(200);
    await h.waitFor(() => clickAnswers(h, 'ULEE').length > 0);
    expect(clickAnswers(h, 'ULEE')[0]).toContain('already decided: :hourglass: Expired');
    expect(inviteRequestCount(h)).toBe(0);
    expect(auditLines(h, 'approval_expired')).toMatchObject([{ ref }]);
  });
});

describe.runIf(withPostgres)('approvals across replicas on PostgreSQL', () => {
  const opened: Harness[] = [];
  let store: TestStore | undefined;
  afterEach(async () => {
    for (const harness of opened.splice(0).reverse()) await harness.close();
    await store?.drop();
  });

  it('two approvers on two replicas clicking at once: one decision, one invitation', async () => {
    store = await postgresStore();
    const env = { ...APPROVERS, INVITE_APPROVAL_REQUIRED: 'all' };
    const first = await startHarness({ env, store });
    opened.push(first);
    const second = await startHarness({ env, store, shareFakesOf: first });
    opened.push(second);
    addApprovers(first);
    await first.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await waitForQuestions(first, 2);
    const ref = (await first.ledger.unfinished(1))[0]?.request.ref ?? '';
    await Promise.all([
      first.interaction(buttonClick(first, APPROVAL_ACTIONS.approve, ref, { userId: 'ULEE', channelId: 'DLEE' })),
      second.interaction(buttonClick(second, APPROVAL_ACTIONS.approve, ref, { userId: 'UMAX', channelId: 'DMAX' })),
    ]);
    await first.settle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(first.kantata?.inviteRequests).toHaveLength(1);
    expect([...auditLines(first, 'approved'), ...auditLines(second, 'approved')]).toHaveLength(1);
    expect((await first.ledger.findRequest(ref))?.request.decision?.kind).toBe('approved');
  });
});
