import { describe, expect, it } from 'vitest';
import { homeViewProblems } from '../fakes/block-kit.js';
import { buttonUrl, TestBrowser } from '../fakes/test-browser.js';
import { sign, useHarness, type Harness } from './harness.js';

const start = useHarness();

type Block = { type: string; text?: { text?: string }; accessory?: Record<string, unknown>; elements?: Record<string, unknown>[] };

/** Opens the Home tab as Slack does (a signed app_home_opened event) and returns what was published. */
async function openHome(h: Harness, userId = 'U1'): Promise<{ blocks: Block[] } & Record<string, unknown>> {
  const before = h.slack.callsTo('views.publish').length;
  const answer = await h.event({ type: 'app_home_opened', user: userId, channel: 'D0HOME', tab: 'home' });
  expect(answer.status).toBe(200);
  await h.waitFor(() => h.slack.callsTo('views.publish').length > before);
  const [call] = h.slack.callsTo('views.publish').slice(before);
  expect(call?.response.ok).toBe(true);
  expect(call?.args.user_id).toBe(userId);
  return call?.args.view as { blocks: Block[] } & Record<string, unknown>;
}

const texts = (view: { blocks: Block[] }) => view.blocks.map((block) => block.text?.text ?? '').join('\n');

/** Links Ann's Kantata OX account through the Home tab's Connect button. */
async function connectFromHome(h: Harness): Promise<void> {
  const browser = new TestBrowser();
  const page = await browser.open(buttonUrl(await openHome(h)) ?? '');
  const landed = await browser.decide(page, 'allow');
  expect(landed.text).toContain('Invitations you make through Kantata OX now go out as you. You can close this tab.');
}

describe('the Home tab', () => {
  it('shows someone without links a Connect button per linkable service, what falls back to the shared account, and no invitations yet', async () => {
    const h = await start({ linking: { kantata: true } });
    const view = await openHome(h);
    expect(view.type).toBe('home');
    expect(homeViewProblems(view)).toEqual([]);
    const [kantata, huddle] = view.blocks.filter((block) => /^\*(Kantata OX|Huddle)\*/.test(block.text?.text ?? ''));
    expect(kantata?.text?.text).toBe('*Kantata OX*: not connected. Invitations go out with the bot’s shared account until you connect your own.');
    expect(kantata?.accessory).toMatchObject({ type: 'button', text: { text: 'Connect Kantata OX' }, url: expect.stringMatching(new RegExp(`^${h.publicUrl}/oauth/kantata/start\\?nonce=`)) });
    expect(huddle?.text?.text).toBe('*Huddle*: invitations go out with the bot’s shared account.');
    expect(huddle?.accessory).toBeUndefined();
    expect(texts(view)).toContain('None yet. Type `/invite` in a channel to start.');
    expect(texts(view)).not.toContain('(admin)');
  });

  it('shows a linked person their account with Disconnect, and their last invitations with outcomes and references; Disconnect deletes the token', async () => {
    const h = await start({ linking: { kantata: true }, huddle: false });
    await connectFromHome(h);
    const ack = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    expect(String(ack.json?.text)).toContain('Sent as you (*Ann Lee*)');
    await h.settle();
    const [latest] = await h.ledger.recent({ userId: 'U1' }, 1);
    const ref = latest?.request.ref ?? '-';

    const view = await openHome(h);
    expect(homeViewProblems(view)).toEqual([]);
    const account = view.blocks.find((block) => block.text?.text?.startsWith('*Kantata OX*'));
    expect(account?.text?.text).toMatch(/^\*Kantata OX\*: connected as \*Ann Lee\* since <!date\^\d+\^/);
    expect(account?.accessory).toMatchObject({ type: 'button', action_id: 'home_disconnect', value: 'kantata', style: 'danger', confirm: { title: { text: 'Disconnect?' } } });
    const mine = texts(view);
    expect(mine).toContain(`:white_check_mark: 1 · Kantata OX *<https://app.mavenlink.com/workspaces/12345|12345>* · <!date^`);
    expect(mine).toContain(`\`${ref}\` · as *Ann Lee*`);

    const clicked = await h.interaction({
      type: 'block_actions',
      user: { id: 'U1', username: 'ann', name: 'ann', team_id: 'T1' },
      team: { id: 'T1', domain: 'acme' },
      api_app_id: 'A1',
      token: 'deprecated-verification-token',
      container: { type: 'view', view_id: 'VHOMEU1' },
      trigger_id: 'trigger-home',
      view: { id: 'VHOMEU1', type: 'home', callback_id: '', blocks: [] },
      actions: [{ type: 'button', action_id: 'home_disconnect', block_id: 'b1', value: 'kantata', action_ts: '1700000000.1' }],
    });
    expect(clicked.status).toBe(200);
    await h.waitFor(() => h.slack.callsTo('views.publish').length >= 3);
    expect(await linksOf(h)).toEqual([]);
    const after = h.slack.homeViews.get('U1') as { blocks: Block[] };
    expect(texts(after)).toContain('*Kantata OX*: not connected.');
  });

  it('shows admins everyone’s last 50 requests, the checks, linked accounts and what is pending, within Block Kit’s limits', async () => {
    const h = await start({ linking: { kantata: true }, env: { INVITE_ADMINS: 'U1', INVITE_USER_LIMIT: '1000' } });
    h.slack.addUser({ id: 'U2', email: 'cy@inviter.example', realName: 'Cy' });
    // Many requests with long titles: the lists must be cut to fit, never refused by Slack.
    const long = 'A project title long enough to make each line of the list heavy '.repeat(2);
    for (let i = 0; i < 60; i += 1) {
      await h.ledger.record(
        {
          ref: `RHOME${String(i).padStart(2, '0')}`,
          source: 'command',
          request: { service: 'kantata', workspaceId: String(10_000 + i), role: 'buyer', invitees: [{ email: `p${i}@acme.com`, fullName: `P ${i}` }], requestedBy: { userId: i % 2 ? 'U1' : 'U2', teamId: 'T1', channelId: 'C1' } },
          channelId: 'C1',
          workspaceTitle: `${long} <!channel> ${i}`,
          again: false,
        },
        { budget: { limit: 1000, windowMs: 600_000 }, duplicateWindowMs: 600_000 },
        Date.now() + i,
      );
    }
    const view = await openHome(h);
    expect(homeViewProblems(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const all = texts(view);
    for (const heading of ['Your last invitations', 'Everyone’s last requests (admin)', 'Checks (admin)', 'Pending (admin)']) {
      expect(view.blocks.some((block) => block.type === 'header' && block.text?.text === heading), heading).toBe(true);
    }
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt;');
    expect((all.match(/`RHOME\d\d`/g) ?? []).length).toBeGreaterThanOrEqual(20 + 50);
    expect(all).toContain('<@U2>');
    expect(all).toMatch(/:white_check_mark: \*Slack\*: (ok|warning) — bot @invite-bot in Acme/);
    expect(all).toContain('*Kantata OX*: ok — the token acts as Connector User (user 42)');
  });

  it('publishes nothing for the Messages tab, and ignores events no listener answers', async () => {
    const h = await start();
    expect((await h.event({ type: 'app_home_opened', user: 'U1', channel: 'D0HOME', tab: 'messages' })).status).toBe(200);
    const other = await h.event({ type: 'message', user: 'U1', channel: 'C1', text: 'hello' });
    expect([other.status, other.text]).toEqual([200, '']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.slack.callsTo('views.publish')).toEqual([]);
  });
});

describe('the Events API over HTTP', () => {
  it('answers Slack’s URL check with its challenge', async () => {
    const h = await start();
    const answer = await h.post(JSON.stringify({ token: 'x', challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' }), { 'content-type': 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  it('takes a retried event once: the retry is answered 200 and not handled again', async () => {
    const h = await start();
    expect((await h.event({ type: 'app_home_opened', user: 'U1', channel: 'D0HOME', tab: 'home' }, {}, 'EvSAME0001')).status).toBe(200);
    await h.waitFor(() => h.slack.callsTo('views.publish').length === 1);
    const retry = await h.event({ type: 'app_home_opened', user: 'U1', channel: 'D0HOME', tab: 'home' }, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }, 'EvSAME0001');
    expect([retry.status, retry.text]).toEqual([200, '']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(h.slack.callsTo('views.publish')).toHaveLength(1);
  });

  it('applies the same signature and time rules to JSON as to forms, and still refuses other content types', async () => {
    const h = await start();
    const body = JSON.stringify({ type: 'event_callback', team_id: 'T1', event_id: 'EvFORGED01', event: { type: 'app_home_opened', user: 'U1', tab: 'home' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const forged = await h.post(body, { 'content-type': 'application/json', 'x-slack-signature': sign(body, timestamp, 'not-the-secret') }, timestamp);
    expect(forged.status).toBe(401);
    const stale = await h.post(body, { 'content-type': 'application/json' }, timestamp - 6 * 60);
    expect(stale.status).toBe(401);
    const malformed = await h.post('{"type":"event_callback"', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    const text = await h.post(body, { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.slack.callsTo('views.publish')).toEqual([]);
  });
});

describe('the Home tab in Socket Mode', () => {
  it('publishes on app_home_opened, and acks other events at once without handling them', async () => {
    const h = await start({ socketMode: true });
    const envelope = (event: Record<string, unknown>, id: string) => ({ token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: id, event_time: 1, event });
    const ignored = await h.socket.sendEnvelope('events_api', envelope({ type: 'reaction_added', user: 'U1' }, 'EvSOCK0001'));
    expect(ignored.payload).toBeUndefined();
    const opened = await h.socket.sendEnvelope('events_api', envelope({ type: 'app_home_opened', user: 'U1', channel: 'D0HOME', tab: 'home' }, 'EvSOCK0002'));
    expect(opened.envelope_id).toBeTruthy();
    await h.waitFor(() => h.slack.callsTo('views.publish').length === 1);
    expect(homeViewProblems(h.slack.homeViews.get('U1') ?? {})).toEqual([]);
  });
});

async function linksOf(h: Harness): Promise<unknown[]> {
  const { openStores } = await import('../../src/stores.js');
  const { links, ledger } = await openStores(h.store.storage);
  try {
    return await links.linksOf({ teamId: 'T1', userId: 'U1' });
  } finally {
    await ledger.close();
  }
}
