import { describe, expect, it } from 'vitest';
import { RETRY_ACTIONS } from '../../src/slack/render.js';
import { huddleError } from '../fakes/fake-huddle.js';
import { kantataError } from '../fakes/fake-kantata.js';
import { buttonClick, clickAnswers, posted, useHarness, type Harness } from './harness.js';

const start = useHarness();

interface Button {
  readonly action_id: string;
  readonly value: string;
}

const replies = (h: Harness) => posted(h).filter((call) => call.args.thread_ts !== undefined);
const summaries = (h: Harness) => posted(h).filter((call) => call.args.thread_ts === undefined && call.args.channel === 'C1');
const auditLines = (h: Harness, decision: string) => h.log.entries().filter((entry) => entry.event === 'audit' && entry.decision === decision);

/** The buttons under a posted message. */
function buttonsOf(call: { args: Record<string, unknown> } | undefined): Button[] {
  const blocks = (call?.args.blocks ?? []) as { type: string; elements?: Button[] }[];
  return blocks.filter((block) => block.type === 'actions').flatMap((block) => block.elements ?? []);
}

/** The summary as it reads now, after updates. */
function summaryNow(h: Harness): string {
  const [summary] = summaries(h);
  return JSON.stringify(h.slack.messages.get(`${String(summary?.args.channel)}/${String((summary?.response as { ts?: string }).ts)}`)?.blocks);
}

const UNAVAILABLE = kantataError(503, 'system', 'Down for maintenance');

describe('Retry from the thread', () => {
  it('offers Retry where nothing was sent for sure; the requester presses it and the invitee is sent once more, through the ledger', async () => {
    let down = true;
    const h = await start({ kantata: { refuse: ({ email }) => (down && email === 'bob@acme.com' ? UNAVAILABLE : undefined) } });
    await h.command('"Bob Smith" <bob@acme.com>, "Ann Lee" <ann@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['ann@acme.com']);
    const [reply] = replies(h);
    const [button] = buttonsOf(reply);
    expect(button?.action_id).toBe(RETRY_ACTIONS.retry);
    expect(JSON.stringify(reply?.args.blocks)).toContain('<@U1> (or an admin) can send these again.');

    down = false;
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'U1' }));
    await h.waitFor(() => clickAnswers(h, 'U1').length > 0);
    expect(clickAnswers(h, 'U1')[0]).toContain('Sending 1 person again; the summary above will update.');
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email).sort()).toEqual(['ann@acme.com', 'bob@acme.com']);
    await h.waitFor(() => summaryNow(h).includes(':white_check_mark: *Bob Smith*'));
    expect(summaryNow(h)).toContain(':white_check_mark: 2 invited');
    expect(auditLines(h, 'retried')).toMatchObject([{ addresses: ['bob@acme.com'], by: 'U1', userId: 'U1' }]);

    // Pressing it again: the invitation went out meanwhile, so there is nothing left to retry.
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'U1' }));
    await h.waitFor(() => clickAnswers(h, 'U1').length > 1);
    expect(clickAnswers(h, 'U1')[1]).toContain('Nothing to retry');
    expect(h.kantata?.inviteRequests.filter((request) => request.body.includes('bob@acme.com')).length).toBe(4);
  });

  it('lets only the requester or an admin retry', async () => {
    const h = await start({ env: { INVITE_ADMINS: 'UADMIN' } });
    h.slack.addUser({ id: 'UEVE', email: 'eve@inviter.example', realName: 'Eve' });
    h.slack.addUser({ id: 'UADMIN', email: 'admin@inviter.example', realName: 'Admin' });
    h.kantata?.server.respondNextTo(/\/invite/, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE);
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    const [button] = buttonsOf(replies(h)[0]);
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'UEVE' }));
    await h.waitFor(() => clickAnswers(h, 'UEVE').length > 0);
    expect(clickAnswers(h, 'UEVE')).toEqual(['Only <@U1> or an admin (INVITE_ADMINS) can retry this.']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(h.kantata?.invitations).toEqual([]);
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'UADMIN' }));
    await h.waitFor(() => clickAnswers(h, 'UADMIN').length > 0);
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
    expect(auditLines(h, 'retried')).toMatchObject([{ by: 'UADMIN', userId: 'U1' }]);
  });

  it('retries through the budget: a retry that would go over it is refused and sends nothing', async () => {
    const h = await start({ env: { INVITE_USER_LIMIT: '1' } });
    h.kantata?.server.respondNextTo(/\/invite/, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE);
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    await h.command('"Cy Young" <cy@acme.com> to kantata:12345 as buyer');
    await h.settle();
    const [button] = buttonsOf(replies(h)[0]);
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'U1' }));
    await h.waitFor(() => clickAnswers(h, 'U1').length > 0);
    expect(clickAnswers(h, 'U1')[0]).toContain('Nothing was sent: you can invite up to 1 person every 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['cy@acme.com']);
  });

  it('offers no Retry where the service may have acted (a Huddle 5xx with an error body) or refused the request', async () => {
    const h = await start();
    h.huddle?.server.respondNext(huddleError(500, 0, 'Internal error while inviting'));
    await h.command('bob@acme.com to huddle:89178');
    await h.settle();
    h.kantata?.server.respondNextTo(/\/invite/, kantataError(422, 'validation', 'Email address is already taken'));
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(replies(h)).toHaveLength(2);
    expect(replies(h).flatMap(buttonsOf)).toEqual([]);
  });

  it('offers Check and retry for a Kantata invitation that may have gone out: someone now on the project is not e-mailed again', async () => {
    const h = await start({ env: { UPSTREAM_RESPONSE_TIMEOUT_MS: '300' } });
    h.kantata?.server.respondNextTo(/\/invite/, { status: 200, body: '{}', delayMs: 1_000 }, { status: 200, body: '{}', delayMs: 1_000 });
    await h.command('"Bob Smith" <bob@acme.com>, "Ann Lee" <ann@acme.com> to kantata:12345 as buyer');
    await h.settle(8_000);
    const [reply] = replies(h);
    expect(JSON.stringify(reply?.args.blocks)).toContain('may or may not have been sent');
    const [button] = buttonsOf(reply);
    expect(button?.action_id).toBe(RETRY_ACTIONS.check_and_retry);
    // Bob accepted the first invitation meanwhile; Ann did not get it.
    h.kantata?.addParticipant('12345', { email: 'bob@acme.com', fullName: 'Bob Smith', role: 'buyer' });
    const lookupsBefore = h.kantata?.participationRequests.length ?? 0;
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'U1' }));
    await h.waitFor(() => clickAnswers(h, 'U1').length > 0);
    await h.settle();
    // A fresh look at the project, not the minute-old one.
    expect(h.kantata?.participationRequests.length).toBeGreaterThan(lookupsBefore);
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['ann@acme.com']);
    await h.waitFor(() => summaryNow(h).includes('already on'));
    expect(summaryNow(h)).toContain('*Bob Smith* (bob@acme.com): already on *Acme Rollout* (Acme Corp), so no e-mail was sent');
  });

  it('sends nothing again when the check itself fails, and says so', async () => {
    const h = await start({ env: { UPSTREAM_RESPONSE_TIMEOUT_MS: '300' } });
    h.kantata?.server.respondNextTo(/\/invite/, { status: 200, body: '{}', delayMs: 1_000 });
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle(8_000);
    const [button] = buttonsOf(replies(h)[0]);
    h.kantata?.server.respondNextTo(/\/participations/, kantataError(503, 'system', 'Down'), kantataError(503, 'system', 'Down'), kantataError(503, 'system', 'Down'));
    await h.interaction(buttonClick(h, button?.action_id ?? '', button?.value ?? '', { userId: 'U1' }));
    await h.waitFor(() => clickAnswers(h, 'U1').length > 0);
    await h.settle();
    await h.waitFor(() => replies(h).length === 2);
    expect(h.kantata?.inviteRequests).toHaveLength(1);
    expect(JSON.stringify(replies(h)[1]?.args.blocks)).toContain('so the invitation was not sent again');
  });
});
