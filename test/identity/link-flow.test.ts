import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteFile } from '../../src/invitations/ledger/sqlite-driver.js';
import { describe, expect, it } from 'vitest';
import { buttonUrl, TestBrowser, type Visit } from '../fakes/test-browser.js';
import { ANN_HUDDLE, ANN_KANTATA, inviteRequestCount, posted, useHarness, type Harness } from '../slack/harness.js';

const start = useHarness();

/** The private answer to a command: in the ack, or (after lookups) through the response_url. */
function privateAnswer(h: Harness, ack: { json: Record<string, unknown> | undefined }): Record<string, unknown> | undefined {
  return ack.json ?? h.slack.responseUrlPosts.at(-1)?.body;
}

/** Every byte the SQLite ledger keeps on disk, WAL included. */
function databaseBytes(h: Harness): string {
  const dir = h.store.storage.kind === 'sqlite' ? h.store.storage.dataDir : '';
  return readdirSync(dir)
    .filter((name) => name.startsWith('ledger.sqlite'))
    .map((name) => readFileSync(join(dir, name)).toString('latin1'))
    .join('');
}

/** Writes straight to the harness's SQLite ledger: time passing for rows the bot reads back. */
function sqlite(h: Harness, statement: string): void {
  const dir = h.store.storage.kind === 'sqlite' ? h.store.storage.dataDir : '';
  const db = openSqliteFile(join(dir, 'ledger.sqlite'));
  try {
    db.exec('pragma busy_timeout = 2000');
    db.prepare(statement).run();
  } finally {
    db.close();
  }
}

/** `/invite` from an unlinked person, and the connect link of the private answer. */
async function connectLinkFor(h: Harness, text = '"Bob Smith" <bob@acme.com> to kantata:12345 as buyer'): Promise<string> {
  const ack = await h.command(text);
  const url = buttonUrl(privateAnswer(h, ack));
  if (!url) throw new Error(`no connect button in ${JSON.stringify(ack.json)}`);
  return url;
}

/** Up to the service's authorize page: the start route's redirect, followed. */
async function toAuthorizePage(browser: TestBrowser, url: string): Promise<Visit> {
  return browser.open(url);
}

function heading(page: Visit): string | undefined {
  return /<h1>(?:<span[^>]*>[^<]*<\/span>)?([^<]*)<\/h1>/.exec(page.text)?.[1];
}

describe('linking a Kantata OX account from /invite', () => {
  it('answers an unlinked person at once with a connect button, and after the browser round trip sends the request as them', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const ack = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer -- Welcome');
    const prompt = privateAnswer(h, ack);
    expect(prompt?.response_type).toBe('ephemeral');
    expect(String(prompt?.text)).toContain('connect it first');
    const url = buttonUrl(prompt);
    expect(url).toMatch(new RegExp(`^${h.publicUrl}/oauth/kantata/start\\?nonce=[A-Za-z0-9_-]{43}$`));
    expect(h.kantata?.inviteRequests).toEqual([]);
    expect(await h.ledger.unfinished(10)).toEqual([]);

    const browser = new TestBrowser();
    const started = await browser.get(url ?? '');
    expect(started.status).toBe(302);
    expect(started.headers['cache-control']).toBe('no-store');
    expect(started.headers['referrer-policy']).toBe('no-referrer');
    const authorize = new URL(started.location ?? '');
    expect(authorize.origin + authorize.pathname).toBe(`${h.kantataOAuth?.url}/oauth/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'kantata-client-1',
      redirect_uri: `${h.publicUrl}/oauth/kantata/callback`,
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const page = await browser.open(authorize.toString());
    expect(page.text).toContain('Signed in as Ann Lee');
    const landed = await browser.decide(page, 'allow');

    expect(landed.status).toBe(200);
    expect(landed.url.startsWith(`${h.publicUrl}/oauth/kantata/callback?`)).toBe(true);
    expect(landed.text).toContain('<h1><span class="mark" aria-hidden="true">✓</span>Connected to Kantata OX</h1>');
    expect(landed.text).toContain('<p>Connected as Ann Lee in Kantata OX.</p>');
    expect(landed.text).toContain('<p>Your invitation is on its way; you can close this tab.</p>');

    await h.settle();
    const [token] = h.kantataOAuth?.issued ?? [];
    expect(h.kantata?.invitations.map(({ email, fullName, role, message }) => ({ email, fullName, role, message }))).toEqual([
      { email: 'bob@acme.com', fullName: 'Bob Smith', role: 'buyer', message: 'Welcome' },
    ]);
    expect(h.kantata?.inviteRequests.map((request) => request.headers.authorization)).toEqual([`Bearer ${token}`]);
    // Told in Slack: connected, and the request accepted as them.
    const told = h.slack.responseUrlPosts.at(-1)?.body;
    expect(String(told?.text)).toContain('Your Kantata OX account is connected: *Ann Lee*');
    expect(String(told?.text)).toContain('Inviting 1 person to Kantata OX workspace');
    expect(String(told?.text)).toContain('Sent as you (*Ann Lee*), with your own Kantata OX account.');
    const [summary] = posted(h);
    expect(JSON.stringify(summary?.args.blocks)).toContain('Sent with *Ann Lee*’s own Kantata OX account');
    // The database holds the token sealed, never in plain text; and no log line has it.
    const bytes = databaseBytes(h);
    expect(bytes).toContain('v1.k1.');
    expect(bytes).not.toContain(token);
    expect(h.log.lines.join('\n')).not.toContain(token);
    const audit = h.log.entries().find((entry) => entry.event === 'audit' && entry.decision === 'accepted');
    expect(audit?.identity).toEqual({ kind: 'linked', serviceUserId: ANN_KANTATA.id });
  });
});

describe('the link flow refuses what it must, with a page of its own for each case', () => {
  it('uses a connect link once: opened again it says so, and nothing more happens', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const url = await connectLinkFor(h);
    const first = await new TestBrowser().get(url);
    expect(first.status).toBe(302);
    const again = await new TestBrowser().get(url);
    expect(again.status).toBe(410);
    expect(heading(again)).toBe('This link was already used');
    expect(again.text).toContain('Each link to connect Kantata OX works once. Nothing more was done.');
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a connect link after its 10 minutes, and one the bot never made', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const url = await connectLinkFor(h);
    sqlite(h, 'update link_nonces set expires_at = created_at - 1');
    const expired = await new TestBrowser().get(url);
    expect([expired.status, heading(expired)]).toEqual([410, 'This link has expired']);
    expect(expired.text).toContain('Links to connect Kantata OX work for 10 minutes. Nothing was sent.');
    const forged = await new TestBrowser().get(url.replace(/nonce=.*/, `nonce=${'A'.repeat(43)}`));
    expect([forged.status, heading(forged)]).toEqual([404, 'This link is not valid']);
    const missing = await new TestBrowser().get(`${h.publicUrl}/oauth/kantata/start`);
    expect(missing.status).toBe(404);
    expect(h.kantataOAuth?.server.requests).toEqual([]);
  });

  it('never binds a sign-in to the wrong person: an unknown state, or the right state in another browser, is refused', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const browser = new TestBrowser();
    const authorize = await toAuthorizePage(browser, await connectLinkFor(h));
    const allowed = await browser.postForm(`${h.kantataOAuth?.url}/oauth/authorize/decision`, {
      client_id: 'kantata-client-1',
      redirect_uri: `${h.publicUrl}/oauth/kantata/callback`,
      state: new URL(authorize.url).searchParams.get('state') ?? '',
      decision: 'allow',
    });
    const callback = new URL(allowed.location ?? '');
    const unknownState = new URL(callback);
    unknownState.searchParams.set('state', 'B'.repeat(43));
    const forged = await browser.get(unknownState.toString());
    expect([forged.status, heading(forged)]).toEqual([400, 'This sign-in could not be matched']);
    // The real callback, opened by someone else's browser (no cookie from the start): refused, and spent.
    const stranger = await new TestBrowser().get(callback.toString());
    expect([stranger.status, heading(stranger)]).toEqual([400, 'This sign-in could not be matched']);
    expect(stranger.text).toContain('does not belong to a sign-in started in this browser');
    const owner = await browser.get(callback.toString());
    expect([owner.status, heading(owner)]).toEqual([410, 'This link was already used']);
    expect(h.kantataOAuth?.grants('authorization_code')).toEqual([]);
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('says access was not allowed when the person denies it at the service, and keeps nothing', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const browser = new TestBrowser();
    const denied = await browser.decide(await toAuthorizePage(browser, await connectLinkFor(h)), 'deny');
    expect([denied.status, heading(denied)]).toEqual([403, 'Access was not allowed']);
    expect(denied.text).toContain('Kantata OX was not connected, because access was not allowed on its sign-in page. Nothing was sent.');
    expect(browser.cookieNames()).toEqual([]);
    expect(h.kantataOAuth?.tokenRequests).toEqual([]);
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
    expect(await h.ledger.recent({}, 5)).toEqual([]);
  });

  it('shows the service’s failure when the token endpoint fails, and a settings problem when it refuses the bot’s application', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const browser = new TestBrowser();
    const page = await toAuthorizePage(browser, await connectLinkFor(h));
    h.kantataOAuth?.answerTokenRequestsWith({ status: 500, headers: { 'content-type': 'text/html' }, body: '<h1>Internal Server Error</h1>' });
    const failed = await browser.decide(page, 'allow');
    expect([failed.status, heading(failed)]).toEqual([502, 'Kantata OX could not be connected']);
    expect(failed.text).toContain('Kantata OX did not complete the connection (it answered HTTP 500). Nothing was sent.');

    const second = new TestBrowser();
    const page2 = await toAuthorizePage(second, await connectLinkFor(h));
    h.kantataOAuth?.answerTokenRequestsWith({ status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_client', error_description: 'Client authentication failed' }) });
    const refused = await second.decide(page2, 'allow');
    expect([refused.status, heading(refused)]).toEqual([502, 'Kantata OX could not be connected']);
    expect(refused.text).toContain('Kantata OX refused the bot’s sign-in application (HTTP 401, invalid_client). Nothing was sent.');
    expect(refused.text).toContain('The bot’s administrator needs to check its OAuth application settings.');
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('refuses a sign-in finished after 10 minutes', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const browser = new TestBrowser();
    const page = await toAuthorizePage(browser, await connectLinkFor(h));
    sqlite(h, 'update link_nonces set started_at = started_at - 600001');
    const late = await browser.decide(page, 'allow');
    expect([late.status, heading(late)]).toEqual([410, 'The sign-in took too long']);
    expect(h.kantataOAuth?.grants('authorization_code')).toEqual([]);
  });
});

describe('a linked account later revoked', () => {
  it('holds the request unsent, asks the person to reconnect, and sends it as them once they do', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const browser = new TestBrowser();
    await browser.decide(await toAuthorizePage(browser, await connectLinkFor(h)), 'allow');
    await h.settle();
    const [firstToken = ''] = h.kantataOAuth?.issued ?? [];
    h.kantata?.revokeToken(firstToken);

    const ack = await h.command('"Cy Young" <cy@acme.com>, "Di Ng" <di@acme.com> to kantata:12345 as buyer');
    expect(String(ack.json?.text)).toContain('Inviting 2 people');
    await h.waitFor(() => h.slack.callsTo('chat.postMessage').some((call) => call.args.channel === 'U1'), 5_000);
    const held = await heldRequest(h, 2);
    expect(held.request.awaitingLinkSince).toBeDefined();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
    const prompts = h.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === 'U1');
    expect(prompts).toHaveLength(1);
    expect(String(prompts[0]?.args.text)).toContain('Kantata OX no longer accepts your connected account, so your invitations to');
    const reconnect = buttonUrl(prompts[0]?.args as { blocks?: unknown });
    expect(JSON.stringify(prompts[0]?.args.blocks)).toContain('Reconnect Kantata OX');

    const again = await browser.decide(await toAuthorizePage(browser, reconnect ?? ''), 'allow');
    expect(again.text).toContain('Your invitation is on its way');
    await h.settle();
    const secondToken = h.kantataOAuth?.issued[1];
    expect(h.kantata?.invitations.map((invitation) => invitation.email).sort()).toEqual(['bob@acme.com', 'cy@acme.com', 'di@acme.com']);
    const sentAs = h.kantata?.inviteRequests.filter((request) => request.status === 200).map((request) => request.headers.authorization);
    expect(sentAs).toEqual([`Bearer ${firstToken}`, `Bearer ${secondToken}`, `Bearer ${secondToken}`]);
    const report = await h.ledger.findRequest(held.request.ref);
    expect(report?.invitees.map((invitee) => [invitee.email, invitee.state])).toEqual([['cy@acme.com', 'invited'], ['di@acme.com', 'invited']]);
    expect(report?.request.awaitingLinkSince).toBeUndefined();
    const summaries = posted(h).filter((call) => call.args.channel === 'C1' && JSON.stringify(call.args.blocks).includes(held.request.ref));
    expect(summaries).toHaveLength(1);
  });
});

describe('linking a Huddle account', () => {
  it('refreshes the token before it runs out, and holds the request when the grant is revoked', async () => {
    const h = await start({ linking: { huddle: { accessTokenSeconds: 2 }, require: true }, kantata: false });
    const browser = new TestBrowser();
    const landed = await browser.decide(await toAuthorizePage(browser, await connectLinkFor(h, 'bob@acme.com to huddle:89178')), 'allow');
    expect(landed.text).toContain('Connected as Ann Lee in Huddle.');
    await h.settle();
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['bob@acme.com'] }]);
    expect(h.huddleLogin?.grants('authorization_code')).toHaveLength(1);
    // A second later the token is within its refresh margin: a fresh one is asked for before the call.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await h.command('cy@acme.com to huddle:89178');
    await h.settle();
    expect(h.huddleLogin?.grants('refresh_token')).toHaveLength(1);
    const tokens = h.huddle?.inviteRequests.map((request) => request.headers.authorization);
    expect(tokens).toEqual([`Bearer ${h.huddleLogin?.issued[0]}`, `Bearer ${h.huddleLogin?.issued[1]}`]);
    expect(h.huddle?.inviteRequests.map((request) => request.status)).toEqual([202, 202]);
    // Access and refresh tokens alike are only ever stored sealed.
    const bytes = databaseBytes(h);
    for (const token of [...(h.huddleLogin?.issued ?? []), ...(h.huddleLogin?.issuedRefreshTokens ?? [])]) expect(bytes).not.toContain(token);

    h.huddleLogin?.revokeGrant(ANN_HUDDLE.id);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await h.command('di@acme.com to huddle:89178');
    await h.waitFor(() => h.slack.callsTo('chat.postMessage').some((call) => call.args.channel === 'U1'), 5_000);
    const held = await heldRequest(h, 1);
    expect(held.request.awaitingLinkSince).toBeDefined();
    expect(h.huddle?.invitations.map((invitation) => invitation.addresses)).toEqual([['bob@acme.com'], ['cy@acme.com']]);
    const prompt = h.slack.callsTo('chat.postMessage').find((call) => call.args.channel === 'U1');
    expect(JSON.stringify(prompt?.args.blocks)).toContain('Reconnect Huddle');
    expect(h.log.entries().some((entry) => entry.event === 'link_revoked')).toBe(true);
  });
});

describe('linking when it is not required', () => {
  it('sends an unlinked person with the shared account, and says so', async () => {
    const h = await start({ linking: { kantata: true }, huddle: false });
    const ack = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    expect(String(ack.json?.text)).toContain("Sent with the bot's shared Kantata OX account (you have not connected your own).");
    await h.settle();
    expect(h.kantata?.inviteRequests.map((request) => request.headers.authorization)).toEqual(['Bearer kt-harness-token-0001']);
    expect(JSON.stringify(posted(h)[0]?.args.blocks)).toContain('Sent with the bot’s shared Kantata OX account');
    const audit = h.log.entries().find((entry) => entry.event === 'audit' && entry.decision === 'accepted');
    expect(audit?.identity).toEqual({ kind: 'shared' });
  });

  it('searches workspaces with the person\'s own token once linked: Kantata\'s can_invite is theirs, and refusals say "you"', async () => {
    const h = await start({ linking: { kantata: true }, huddle: false });
    if (!h.kantataOAuth) throw new Error('no OAuth fake');
    h.kantataOAuth.person = { ...ANN_KANTATA, workspaces: { '12345': { title: 'Acme Rollout', canInvite: false }, '31': { title: 'Ann Only Project', canInvite: true } } };
    const browser = new TestBrowser();
    const ack = await h.command('"Bob Smith" <bob@acme.com> to kantata:"Acme Rollout" as buyer');
    expect(String(ack.json?.text ?? '')).toBe('');
    await h.settle();
    // Not linked and not required: searched with the shared account, which may invite to Acme Rollout.
    expect(h.kantata?.invitations.map((invitation) => invitation.workspaceId)).toEqual(['12345']);

    const url = buttonUrl(h.slack.homeViews.get('U1') ?? (await homeFor(h, 'U1')));
    await browser.decide(await toAuthorizePage(browser, url ?? ''), 'allow');
    await h.command('"Cy Young" <cy@acme.com> to kantata:"Acme Rollout" as buyer');
    await h.waitFor(() => h.slack.responseUrlPosts.length >= 2);
    expect(String(h.slack.responseUrlPosts.at(-1)?.body.text)).toContain('No Kantata OX workspace that you can invite people to is called “Acme Rollout”');
    await h.command('"Cy Young" <cy@acme.com> to kantata:12345 as buyer');
    await h.settle();
    const replies = posted(h).filter((call) => call.args.thread_ts !== undefined).map((call) => String(call.args.text));
    expect(replies.at(-1)).toContain('Your Kantata OX account is not allowed to invite people to workspace 12345 (HTTP 403');
    expect(replies.at(-1)).toContain('Your account lacks permission');
    expect(h.kantata?.inviteRequests.at(-1)?.headers.authorization).toBe(`Bearer ${h.kantataOAuth.issued[0]}`);
  });
});

/** The one unfinished request, once every one of its `count` invitees is back in the queue, unsent. */
async function heldRequest(h: Harness, count: number) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const [held] = await h.ledger.unfinished(5);
    if (held && held.counts.queued === count && !held.counts.sending) return held;
    if (Date.now() > deadline) throw new Error(`not held: ${JSON.stringify(held?.counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Opens the Home tab as Slack does (a signed app_home_opened event) and returns what was published. */
async function homeFor(h: Harness, userId: string): Promise<Record<string, unknown> | undefined> {
  const published = h.slack.callsTo('views.publish').length;
  await h.event({ type: 'app_home_opened', user: userId, channel: 'D1', tab: 'home' });
  await h.waitFor(() => h.slack.callsTo('views.publish').length > published);
  return h.slack.homeViews.get(userId);
}
