import { describe, expect, it } from 'vitest';
import { inviteRequestCount, useHarness, viewSubmission, type Harness } from './harness.js';

const start = useHarness();

const audits = (h: Harness) => h.log.entries().filter((entry) => entry.event === 'audit');

describe('who may invite', () => {
  it.each([
    ['a multi-channel guest', { guest: 'multi' as const }, 'Guests cannot invite'],
    ['a single-channel guest', { guest: 'single' as const }, 'Guests cannot invite'],
    ['a bot', { isBot: true }, 'Bots and apps cannot invite'],
    ['a deactivated account', { deleted: true }, 'This account is deactivated'],
    ['someone from another organisation', { teamId: 'T-OTHER' }, 'Only members of this organisation'],
  ])('refuses %s privately and sends nothing', async (_, facts, text) => {
    const h = await start();
    h.slack.addUser({ id: 'U9', email: 'x@elsewhere.example', realName: 'X', ...facts });
    const response = await h.command('a@acme.com to huddle:89178', { user_id: 'U9' });
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(String(response.json?.text)).toContain(text);
    const ref = /\(ref (R[2-9A-Z]{6})\)/.exec(String(response.json?.text))?.[1];
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
    expect(audits(h).at(-1)).toMatchObject({ decision: 'denied', userId: 'U9', ref });
    expect(ref).toBeDefined();
  });

  it('refuses the modal submission of someone not allowed', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U9', guest: 'multi' });
    const response = await h.interaction(
      viewSubmission({ workspace: { workspace: { selected_option: { value: 'huddle:89178' } } }, people: { people: { value: 'a@acme.com' } }, service: { service: { selected_option: { value: 'huddle' } } } }, '{"channelId":"C1","userId":"U9"}', 'U9'),
    );
    expect(response.json).toMatchObject({ response_action: 'errors', errors: { people: expect.stringContaining('Guests cannot invite') } });
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('lets only listed users and user group members invite when lists are set', async () => {
    const h = await start({ env: { INVITE_ALLOWED_USERS: 'U7', INVITE_ALLOWED_USERGROUPS: 'S1' } });
    h.slack.usergroups.set('S1', ['U8']);
    h.slack.addUser({ id: 'U7' });
    h.slack.addUser({ id: 'U8' });
    const outsider = await h.command('a@acme.com to huddle:89178');
    expect(String(outsider.json?.text)).toContain('You are not on the list of people allowed to invite');
    const listed = await h.command('b@acme.com to huddle:89178', { user_id: 'U7' });
    const member = await h.command('c@acme.com to huddle:89178', { user_id: 'U8' });
    expect(String(listed.json?.text)).toContain('Inviting 1 person');
    expect(String(member.json?.text)).toContain('Inviting 1 person');
    await h.settle();
    expect(h.huddle?.invitations.map((i) => i.addresses)).toEqual(expect.arrayContaining([['b@acme.com'], ['c@acme.com']]));
    expect(h.huddle?.invitations).toHaveLength(2);
    expect(h.log.entries().some((entry) => entry.event === 'open_to_all_members')).toBe(false);
  });

  it('warns at start-up when anyone may invite', async () => {
    const h = await start();
    expect(h.log.entries().find((entry) => entry.event === 'open_to_all_members')).toMatchObject({ level: 40 });
  });

  it('refuses when Slack cannot say who is asking', async () => {
    const h = await start();
    const response = await h.command('a@acme.com to huddle:89178', { user_id: 'UNKNOWN' });
    expect(String(response.json?.text)).toContain('Could not check with Slack whether you may invite');
    expect(inviteRequestCount(h)).toBe(0);
  });
});

describe('where and as what', () => {
  it('uses the channel’s workspace when the request names none', async () => {
    const h = await start({ env: { INVITE_CHANNEL_WORKSPACES: 'C1=kantata:12345, C2=huddle:89178' } });
    await h.command('"Bob" <bob@acme.com> as buyer');
    await h.command('ann@acme.com', { channel_id: 'C2' });
    await h.settle();
    expect(h.kantata?.invitations).toMatchObject([{ workspaceId: '12345', email: 'bob@acme.com' }]);
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['ann@acme.com'] }]);
  });

  it('prefills the form with the channel’s workspace', async () => {
    const h = await start({ env: { INVITE_CHANNEL_WORKSPACES: 'C1=kantata:12345' } });
    await h.command('');
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    const view = h.slack.callsTo('views.open')[0]?.args.view as { blocks: { block_id: string; element: Record<string, unknown> }[] };
    expect(view.blocks.find((b) => b.block_id === 'workspace')?.element.initial_option).toMatchObject({ value: 'kantata:12345', text: { text: 'Acme Rollout (12345)' } });
    expect(view.blocks.find((b) => b.block_id === 'service')?.element.initial_option).toMatchObject({ value: 'kantata' });
  });

  it('keeps a restricted channel to its own workspace', async () => {
    const h = await start({ env: { INVITE_CHANNEL_WORKSPACES: 'C1=kantata:12345', INVITE_RESTRICT_TO_CHANNEL_WORKSPACE: 'true' } });
    const response = await h.command('"Bob" <bob@acme.com> to kantata:777 as buyer');
    expect(String(response.json?.text)).toContain('This channel may only invite to Kantata OX workspace 12345.');
    const elsewhere = await h.command('"Bob" <bob@acme.com> to kantata:777 as buyer', { channel_id: 'C5' });
    expect(String(elsewhere.json?.text)).toContain('Inviting 1 person');
    await h.settle();
    expect(h.kantata?.inviteRequests.map((r) => r.path)).toEqual(['/api/v1/workspaces/777/invite']);
  });

  it('allows team-member (maven) invitations only to internal domains, and none to blocked ones', async () => {
    const h = await start({ env: { INVITE_INTERNAL_DOMAINS: 'acme.com', INVITE_BLOCKED_DOMAINS: 'rival.com' } });
    const outsider = await h.command('"Carl" <carl@client.com>, "Dee" <dee@eu.acme.com> to kantata:12345 as maven');
    expect(String(outsider.json?.text)).toContain('Team member (maven) invitations are only for acme.com addresses. Invite carl@client.com as a client (buyer) instead.');
    const blocked = await h.command('spy@rival.com to huddle:89178');
    expect(String(blocked.json?.text)).toContain('does not allow invitations to spy@rival.com: the domain is blocked');
    const fine = await h.command('"Dee" <dee@eu.acme.com> to kantata:12345 as maven');
    expect(String(fine.json?.text)).toContain('Inviting 1 person');
    await h.settle();
    expect(h.kantata?.invitations.map((i) => i.email)).toEqual(['dee@eu.acme.com']);
    expect(h.huddle?.invitations).toEqual([]);
  });
});

describe('limits', () => {
  it('caps the people per request', async () => {
    const h = await start({ env: { INVITE_MAX_PER_REQUEST: '3' } });
    const response = await h.command('a@acme.com b@acme.com c@acme.com d@acme.com to huddle:89178');
    expect(String(response.json?.text)).toContain('That is 4 people; one request can invite at most 3.');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('keeps each person within their budget and says when they may go on', async () => {
    const h = await start({ env: { INVITE_USER_LIMIT: '3', INVITE_USER_WINDOW_MINUTES: '10' } });
    await h.command('a@acme.com b@acme.com to huddle:89178');
    await h.settle();
    // The budget is known before the ack: the refusal is the answer, never an "Inviting…" taken back later.
    const refused = await h.command('c@acme.com d@acme.com to huddle:89178');
    await h.settle();
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['a@acme.com', 'b@acme.com'] }]);
    expect(h.slack.responseUrlPosts.map((post) => String(post.body.text)).filter((text) => text.includes('Inviting'))).toEqual([]);
    const notice = refused.json;
    expect(notice?.response_type).toBe('ephemeral');
    expect(String(notice?.text)).toMatch(/Nothing was sent: you can invite up to 3 people every 10 minutes, and have 1 left right now\. Send fewer, or try again <!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>\./);
    expect(audits(h).at(-1)).toMatchObject({ decision: 'refused', reason: 'over_budget' });
  });

  it('skips someone invited minutes ago, says by whom, and invites again on --again', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U2', email: 'bo@inviter.example', realName: 'Bo' });
    await h.command('a@acme.com to huddle:89178');
    await h.settle();
    await h.command('a@acme.com, b@acme.com to huddle:89178', { user_id: 'U2' });
    await h.settle();
    expect(h.huddle?.invitations.map((i) => i.addresses)).toEqual([['a@acme.com'], ['b@acme.com']]);
    const summary = JSON.stringify(h.slack.callsTo('chat.postMessage').at(-1)?.args.blocks);
    expect(summary).toMatch(/:fast_forward: a@acme\.com: already invited by <@U1> <!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/);
    expect(summary).toContain('add `--again`');
    await h.command('a@acme.com to huddle:89178 --again', { user_id: 'U2' });
    await h.settle();
    expect(h.huddle?.invitations.map((i) => i.addresses)).toEqual([['a@acme.com'], ['b@acme.com'], ['a@acme.com']]);
  });

  it('invites again from the form when the box is ticked', async () => {
    const h = await start({ kantata: false });
    await h.command('a@acme.com to 89178');
    await h.settle();
    const values = { workspace: { workspace: { selected_option: { value: 'huddle:89178' } } }, people: { people: { value: 'a@acme.com' } } };
    await h.interaction(viewSubmission(values, '{"channelId":"C1","userId":"U1"}'));
    await h.settle();
    await h.interaction(viewSubmission({ ...values, again: { again: { selected_options: [{ value: 'again' }] } } }, '{"channelId":"C1","userId":"U1"}'));
    await h.settle();
    expect(h.huddle?.invitations).toHaveLength(2);
  });
});

describe('audit trail', () => {
  it('writes one structured line per attempt with who, where, what and how it went, and no message body', async () => {
    const h = await start();
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer -- a private note for Bob');
    await h.settle();
    await h.command('nonsense to kantata:12345');
    await h.settle();
    const [accepted, sent, refused] = audits(h);
    expect(accepted).toMatchObject({ decision: 'accepted', userId: 'U1', service: 'kantata', workspaceId: '12345', addresses: ['bob@acme.com'], messageLength: 22 });
    expect(accepted?.ref).toBe(sent?.ref);
    expect(sent).toMatchObject({
      event: 'audit',
      decision: 'sent',
      source: 'command',
      userId: 'U1',
      teamId: 'T1',
      channelId: 'C1',
      service: 'kantata',
      workspaceId: '12345',
      role: 'buyer',
      addresses: ['bob@acme.com'],
      outcomes: [{ email: 'bob@acme.com', status: 'invited' }],
      messageLength: 22,
      durationMs: expect.any(Number),
      time: expect.any(String),
    });
    expect(refused).toMatchObject({ decision: 'refused', reason: 'input' });
    expect(h.log.lines.join('\n')).not.toContain('a private note for Bob');
  });
});
