import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { kantataError } from '../fakes/fake-kantata.js';
import { huddleError } from '../fakes/fake-huddle.js';
import { HUDDLE_TOKEN, inviteRequestCount, KANTATA_TOKEN, posted, sign, useHarness, viewSubmission } from './harness.js';

const start = useHarness();


describe('/invite inline', () => {
  it('answers help privately', async () => {
    const h = await start();
    const response = await h.command('help');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(String(response.json?.text)).toContain('/invite "Bob Smith" &lt;bob@acme.com&gt;');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('invites through Kantata OX and posts one summary in the channel', async () => {
    const h = await start();
    const response = await h.command('"Bob Smith" <bob@acme.com>, "Ann Lee" <ann@acme.com> to kantata:12345 as client -- Welcome aboard');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(String(response.json?.text)).toContain('Inviting 2 people to Kantata OX workspace *<https://app.mavenlink.com/workspaces/12345|12345>*');
    await h.settle();
    expect(h.kantata?.invitations.map(({ email, fullName, role, message }) => ({ email, fullName, role, message }))).toEqual(
      expect.arrayContaining([
        { email: 'bob@acme.com', fullName: 'Bob Smith', role: 'buyer', message: 'Welcome aboard' },
        { email: 'ann@acme.com', fullName: 'Ann Lee', role: 'buyer', message: 'Welcome aboard' },
      ]),
    );
    const [summary, ...others] = posted(h);
    expect(others).toEqual([]);
    expect(summary?.args.channel).toBe('C1');
    // The summary names the project by its title, linked to its page, with the id beside it.
    expect(String(summary?.args.text)).toBe('2 of 2 invited to Kantata OX workspace Acme Rollout (12345)');
    const blocksText = JSON.stringify(summary?.args.blocks);
    // The role in the project's own words: what Kantata calls its client team there.
    expect(blocksText).toContain('<@U1> invited 2 people to Kantata OX workspace *<https://app.mavenlink.com/workspaces/12345|Acme Rollout>* (12345) as *Acme Corp (client)*');
    expect(blocksText).toContain(':white_check_mark: *Bob Smith* (bob@acme.com)');
  });

  it('invites through Huddle with Slack-escaped mailto addresses', async () => {
    const h = await start();
    await h.command('<mailto:bob@acme.com|bob@acme.com>, &lt;<mailto:ann@acme.com|ann@acme.com>&gt; to huddle:89178 -- Hi &amp; welcome');
    await h.settle();
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['bob@acme.com', 'ann@acme.com'], message: 'Hi & welcome' }]);
    expect(h.huddle?.inviteRequests[0]?.headers.authorization).toBe(`Bearer ${HUDDLE_TOKEN}`);
    expect(posted(h)).toHaveLength(1);
  });

  it('sends a broadcast inside the personal message as text, and refuses nothing for it', async () => {
    const h = await start();
    const response = await h.command('bob@acme.com to huddle:89178 -- Hi <!here>, see <#C9|general>');
    expect(String(response.json?.text)).toContain('Inviting 1 person');
    await h.settle();
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['bob@acme.com'], message: 'Hi @here, see #general' }]);
  });

  it('turns mentions into addresses and real names with users.info', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U2BOB', email: 'bob@acme.com', realName: 'Bob Smith' });
    await h.command('<@U2BOB|bob> to kantata:12345 as maven');
    await h.settle();
    expect(h.slack.callsTo('users.info').map((call) => call.args.user)).toEqual(['U1', 'U2BOB']);
    expect(h.kantata?.invitations).toMatchObject([{ email: 'bob@acme.com', fullName: 'Bob Smith', role: 'maven' }]);
  });

  it('tells only the invoker about a mention without a visible address, and sends nothing', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U3', realName: 'No Email' });
    h.slack.addUser({ id: 'UBOTX', realName: 'Robot', isBot: true, email: 'bot@acme.com' });
    await h.command('<@U3> <@UBOTX> to kantata:12345 as maven');
    await h.settle();
    await h.waitFor(() => h.slack.responseUrlPosts.length > 0);
    expect(inviteRequestCount(h)).toBe(0);
    expect(posted(h)).toEqual([]);
    const [notice] = h.slack.responseUrlPosts;
    expect(notice?.body.response_type).toBe('ephemeral');
    expect(String(notice?.body.text)).toContain('<@U3> has no e-mail address the bot can see.');
    expect(String(notice?.body.text)).toContain('<@UBOTX> is a bot or an app');
  });

  it('answers an unparseable address privately and sends nothing', async () => {
    const h = await start();
    const response = await h.command('I-am-not-an-email-address, bob@acme to huddle:89178');
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    const text = String(response.json?.text);
    expect(text).toContain('Nothing was sent');
    expect(text).toContain('This is not an e-mail address: `I-am-not-an-email-address`');
    expect(text).toContain('"bob@acme" does not end in a valid domain name');
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
    expect(posted(h)).toEqual([]);
  });

  it('refuses an unknown service and @channel privately', async () => {
    const h = await start();
    const response = await h.command('<!channel> bob@acme.com to asana:12');
    const text = String(response.json?.text);
    expect(text).toContain('"asana" is not a service this bot knows. Use kantata or huddle.');
    expect(text).toContain('Channels, user groups and broadcasts cannot be invited (@channel)');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('opens the form prefilled when the role is missing', async () => {
    const h = await start();
    const response = await h.command('"Bob Smith" <bob@acme.com> <@U0002> to kantata:12345 -- Hello');
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    const [open] = h.slack.callsTo('views.open');
    expect(open?.args.trigger_id).toBe('trigger-1');
    const view = open?.args.view as { blocks: { block_id: string; element: Record<string, unknown> }[]; private_metadata: string };
    const element = (id: string) => view.blocks.find((block) => block.block_id === id)?.element;
    expect(element('service')?.initial_option).toMatchObject({ value: 'kantata' });
    expect(element('workspace')?.initial_option).toEqual({ text: { type: 'plain_text', text: 'Acme Rollout (12345)', emoji: true }, value: 'kantata:12345' });
    expect(element('people')?.initial_value).toBe('"Bob Smith" <bob@acme.com>');
    expect(element('colleagues')?.initial_users).toEqual(['U0002']);
    expect(element('role')?.initial_option).toBeUndefined();
    expect(element('message')?.initial_value).toBe('Hello');
    expect(JSON.parse(view.private_metadata)).toMatchObject({ channelId: 'C1', userId: 'U1' });
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('opens an empty form for /invite with no text', async () => {
    const h = await start();
    await h.command('');
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    expect(h.slack.callsTo('views.open')).toHaveLength(1);
  });

  it('says privately when the form cannot be opened in time', async () => {
    const h = await start();
    h.slack.viewsOpenError = 'expired_trigger_id';
    await h.command('bob@acme.com to kantata:12345');
    await h.waitFor(() => h.slack.responseUrlPosts.length > 0);
    const [notice] = h.slack.responseUrlPosts;
    expect(notice?.body.response_type).toBe('ephemeral');
    expect(String(notice?.body.text)).toContain('Kantata OX needs a full name');
  });

  it('escapes names so they cannot ping the channel', async () => {
    const h = await start();
    await h.command('"&lt;!channel&gt; &amp; co" &lt;<mailto:bob@acme.com|bob@acme.com>&gt; to kantata:12345 as buyer');
    await h.settle();
    const summary = JSON.stringify(posted(h)[0]?.args.blocks);
    expect(summary).toContain('*&lt;!channel&gt; &amp; co* (bob@acme.com)');
    expect(summary).not.toContain('<!channel>');
    expect(h.kantata?.invitations[0]?.fullName).toBe('<!channel> & co');
  });
});

describe('partial failure', () => {
  it('posts one thread reply per problem under the summary, quoting the service', async () => {
    const h = await start({
      kantata: { refuse: ({ email }) => (email === 'bad@acme.com' ? kantataError(422, 'validation', 'Email address is already taken') : undefined) },
    });
    await h.command('"Good" <good@acme.com>, "Bad" <bad@acme.com> to kantata:12345 as maven');
    await h.settle();
    const [summary, reply, ...rest] = posted(h);
    expect(rest).toEqual([]);
    expect(summary?.args.thread_ts).toBeUndefined();
    expect(reply?.args.thread_ts).toBe(summary?.response.ts);
    expect(reply?.args.channel).toBe('C1');
    const text = String(reply?.args.text);
    expect(text).toContain('*Refused by the service*: *Bad* (bad@acme.com)');
    expect(text).toContain('Kantata OX refused the invitation (HTTP 422, code validation): "Email address is already taken".');
    expect(text).toMatch(/_ref R[2-9A-Z]{6}_/);
    const ref = /ref (R[2-9A-Z]{6})/.exec(text)?.[1];
    expect(h.log.entries().some((entry) => entry.ref === ref && entry.event === 'audit' && entry.decision === 'sent')).toBe(true);
    expect(JSON.stringify(summary?.args.blocks)).toContain(':x: 1 failed');
  });

  it('attributes a Huddle 403 to the bot account’s permission, and an unknown workspace to a 404', async () => {
    const h = await start();
    h.huddle?.server.respondNext(huddleError(403, 1004, 'You are not authorised to call this method'));
    // Huddle has no stable web address for a workspace: the title is shown, not linked.
    await h.command('a@acme.com, b@acme.com to huddle:89178');
    await h.settle();
    const [, reply] = posted(h);
    expect(String(reply?.args.text)).toContain('*The bot’s account lacks permission*: a@acme.com, b@acme.com');
    expect(String(reply?.args.text)).toContain('(HTTP 403, code 1004): "You are not authorised to call this method"');
  });
});

describe('delivery fallbacks', () => {
  it('uses the response_url in the channel when the bot may not post there', async () => {
    const h = await start();
    h.slack.postMessageErrors.set('C1', 'not_in_channel');
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(h.kantata?.invitations).toHaveLength(1);
    const inChannel = h.slack.responseUrlPosts.find((post) => post.body.response_type === 'in_channel');
    expect(String(inChannel?.body.text)).toBe('1 of 1 invited to Kantata OX workspace Acme Rollout (12345)');
  });

  it('falls back to a DM when neither the channel nor the response_url works', async () => {
    const h = await start({ kantata: { refuse: () => kantataError(404, 'system', 'Workspace 12345 could not be found') } });
    h.slack.postMessageErrors.set('C1', 'channel_not_found');
    h.slack.responseUrlStatus = 404;
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    // Posted to the user id, the summary comes back with the DM's own channel id; its thread is there.
    const dms = posted(h).filter((call) => call.args.channel === 'U1' || call.args.channel === 'D1');
    expect(dms).toHaveLength(2);
    expect(JSON.stringify(dms[0]?.args.blocks)).toContain('I could not post in <#C1>');
    expect(dms[1]?.args.channel).toBe(dms[0]?.response.channel);
    expect(dms[1]?.args.thread_ts).toBe(dms[0]?.response.ts);
    expect(String(dms[1]?.args.text)).toContain('Workspace not found');
  });
});

describe('the modal', () => {
  const metadata = JSON.stringify({ channelId: 'C9', userId: 'U1' });

  it('sends a valid submission and posts the outcome in the channel it was opened from', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U5', email: 'carol@acme.com', realName: 'Carol Diaz' });
    const response = await h.interaction(
      viewSubmission(
        {
          service: { service: { type: 'static_select', selected_option: { value: 'kantata' } } },
          workspace: { workspace: { type: 'external_select', selected_option: { value: 'kantata:12345' } } },
          people: { people: { type: 'plain_text_input', value: 'Bob Smith <bob@acme.com>' } },
          colleagues: { colleagues: { type: 'multi_users_select', selected_users: ['U5'] } },
          role: { role: { type: 'static_select', selected_option: { value: 'maven' } } },
          subject: { subject: { type: 'plain_text_input', value: 'Join the Acme rollout' } },
          message: { message: { type: 'plain_text_input', value: null } },
        },
        metadata,
      ),
    );
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    await h.settle();
    expect(h.kantata?.invitations.map((i) => [i.email, i.fullName, i.role, i.subject])).toEqual(
      expect.arrayContaining([
        ['bob@acme.com', 'Bob Smith', 'maven', 'Join the Acme rollout'],
        ['carol@acme.com', 'Carol Diaz', 'maven', 'Join the Acme rollout'],
      ]),
    );
    expect(posted(h)[0]?.args.channel).toBe('C9');
  });

  it('answers mistakes as field errors and sends nothing', async () => {
    const h = await start();
    const response = await h.interaction(
      viewSubmission(
        {
          service: { service: { type: 'static_select', selected_option: { value: 'kantata' } } },
          workspace: { workspace: { type: 'external_select', selected_option: { value: 'kantata:acme' } } },
          people: { people: { type: 'plain_text_input', value: 'bob@acme.com, nonsense' } },
          colleagues: { colleagues: { type: 'multi_users_select', selected_users: [] } },
          role: { role: { type: 'static_select', selected_option: null } },
        },
        metadata,
      ),
    );
    expect(response.json).toEqual({
      response_action: 'errors',
      errors: {
        people: 'Not e-mail addresses: "nonsense". Kantata OX needs a full name for everyone invited; missing for bob@acme.com. Write each person as "Full Name <address>".',
        workspace: 'Pick a workspace from the list. If the search cannot find it, type its id.',
        role: 'Choose a Kantata OX role: maven (your own team, a consultant) or buyer (the client).',
      },
    });
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('refuses a workspace from another service than the one chosen, and lets the workspace decide when none is', async () => {
    const h = await start();
    const values = {
      workspace: { workspace: { type: 'external_select', selected_option: { value: 'huddle:89178' } } },
      people: { people: { type: 'plain_text_input', value: 'ann@acme.com' } },
    };
    const refused = await h.interaction(viewSubmission({ ...values, service: { service: { type: 'static_select', selected_option: { value: 'kantata' } } } }, metadata));
    expect(refused.json).toEqual({
      response_action: 'errors',
      errors: { workspace: 'That workspace is in Huddle, but Kantata OX is chosen above. Pick another workspace or change the service.' },
    });
    const accepted = await h.interaction(viewSubmission(values, metadata));
    expect(accepted.text).toBe('');
    await h.settle();
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['ann@acme.com'] }]);
    expect(String(posted(h)[0]?.args.text)).toBe('1 of 1 invited to Huddle workspace Acme Board Pack (89178)');
  });

  it('asks for at least one person', async () => {
    const h = await start({ kantata: false });
    const response = await h.interaction(viewSubmission({ workspace: { workspace: { type: 'external_select', selected_option: { value: 'huddle:89178' } } } }, metadata));
    expect(response.json).toEqual({ response_action: 'errors', errors: { people: 'Add at least one e-mail address here, or pick colleagues below.' } });
  });
});

describe('request verification', () => {
  it('rejects a bad signature, a stale and a future timestamp with 401, and sends nothing', async () => {
    const h = await start();
    const body = h.commandBody('bob@acme.com to huddle:89178');
    const now = Math.floor(Date.now() / 1000);
    const badSignature = await h.post(body, { 'x-slack-signature': sign(body, now, 'not-the-secret') });
    const stale = await h.post(body, {}, now - 6 * 60);
    const future = await h.post(body, {}, now + 6 * 60);
    expect([badSignature.status, stale.status, future.status]).toEqual([401, 401, 401]);
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
    expect(h.slack.calls.filter((call) => call.method !== 'auth.test')).toEqual([]);
  });

  it('answers signed interactions no listener handles at once, with 200 and an empty body', async () => {
    const h = await start();
    const unhandled = [
      { type: 'view_closed', user: { id: 'U1' }, view: { id: 'V1', callback_id: 'invite_modal' } },
      { type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'someone_elses_button', block_id: 'b1' }] },
      { type: 'shortcut', user: { id: 'U1' }, callback_id: 'a_global_shortcut', trigger_id: 'T1' },
      { type: 'view_submission', user: { id: 'U1' }, view: { id: 'V2', callback_id: 'another_apps_modal', state: { values: {} } } },
    ];
    for (const payload of unhandled) {
      const startedAt = Date.now();
      const response = await h.interaction(payload);
      // Bolt's own answer to an unhandled request is a 404 after 3 s.
      expect({ type: payload.type, status: response.status, text: response.text, fast: Date.now() - startedAt < 1_500 }).toEqual({ type: payload.type, status: 200, text: '', fast: true });
    }
    expect(h.slack.calls.filter((call) => call.method !== 'auth.test')).toEqual([]);
  });

  it('accepts a timestamp a little in the future (clock skew within 5 minutes)', async () => {
    const h = await start();
    const response = await h.post(h.commandBody('help'), {}, Math.floor(Date.now() / 1000) + 120);
    expect(response.status).toBe(200);
  });
});

describe('health', () => {
  it('answers GET /healthz (alive) and GET /readyz (ready) with small JSON bodies', async () => {
    const h = await start();
    const live = await request(`http://127.0.0.1:${h.port}/healthz`);
    expect(live.statusCode).toBe(200);
    expect(await live.body.json()).toEqual({ status: 'alive' });
    const ready = await request(`http://127.0.0.1:${h.port}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({ status: 'ready' });
  });

  it('serves Prometheus metrics with no address, name or secret in them', async () => {
    const h = await start();
    await h.command('help');
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    await h.interaction({ type: 'view_closed', user: { id: 'U1' }, view: { id: 'V1', callback_id: 'invite_modal' } });
    const response = await request(`http://127.0.0.1:${h.port}/metrics`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const body = await response.body.text();
    expect(body).toContain('slack_ack_seconds_count{kind="command"} 2');
    expect(body).toContain('slack_requests_total{kind="interaction",outcome="ignored"} 1');
    expect(body).toMatch(/upstream_request_seconds_count\{service="kantata",operation="invite",status="200"\} 1/);
    for (const personal of ['bob@acme.com', 'Bob Smith', KANTATA_TOKEN, 'Acme Rollout']) expect(body).not.toContain(personal);
  });

  it('is not ready while stopping, and says why', async () => {
    const h = await start();
    h.app.readiness.block('stopping', 'the bot is stopping');
    const ready = await request(`http://127.0.0.1:${h.port}/readyz`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toEqual({ status: 'not_ready', reasons: ['the bot is stopping'] });
  });
});

describe('secrets', () => {
  it('appear in no log line or Slack call', async () => {
    const h = await start({ kantata: { token: 'some-other-token' } });
    await h.command('"Bob" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    const everything = [...h.log.lines, ...h.slack.calls.map(({ args: { token: _ownAuth, ...args } }) => JSON.stringify(args)), ...h.slack.responseUrlPosts.map((p) => JSON.stringify(p.body))].join('\n');
    expect(everything).toContain('did not accept the bot');
    for (const secret of [KANTATA_TOKEN, HUDDLE_TOKEN, 'test-signing-secret-5678', 'xoxb-test-bot-token-1234']) expect(everything).not.toContain(secret);
  });
});

describe('a Slack outage', () => {
  it('delays the outcome but never loses it, and posts it once when Slack is back', async () => {
    const h = await start();
    h.slack.unavailable.add('chat.postMessage');
    const response = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    expect(String(response.json?.text)).toContain('Inviting 1 person');
    await h.waitFor(() => h.slack.callsTo('chat.postMessage').length >= 2, 8_000);
    expect(posted(h)).toEqual([]);
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
    h.slack.unavailable.clear();
    await h.settle(15_000);
    const summaries = posted(h);
    expect(summaries).toHaveLength(1);
    expect(String(summaries[0]?.args.text)).toBe('1 of 1 invited to Kantata OX workspace Acme Rollout (12345)');
    expect(h.kantata?.invitations).toHaveLength(1);
    // Slack answered every failed attempt, so no copy can be out there: the summary says nothing of one.
    expect(JSON.stringify(summaries[0]?.args.blocks)).not.toContain('so a copy of it may be above');
  }, 30_000);

  it('posts again after a post that went unanswered (the connection dropped), saying an earlier copy may be above', async () => {
    const h = await start();
    h.slack.server.respondNextTo(/chat\.postMessage/, { status: 200, hangUp: true });
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle(15_000);
    const [summary, ...others] = posted(h);
    expect(others).toEqual([]);
    expect(JSON.stringify(summary?.args.blocks)).toContain('Posted again: an earlier attempt to post this went unanswered (a restart or a dropped connection), so a copy of it may be above.');
    expect(h.slack.server.requestsTo(/chat\.postMessage/)).toHaveLength(2);
  }, 30_000);
});
