/**
 * Linking as production runs it: the built bot (bin/slack-invite-bot), its ledger and link store in the
 * background thread, the main thread reaching both by message. The whole flow over real HTTP, then the
 * revoked token's hold and the reconnect, which cross the threads both ways.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { FakeKantata } from '../fakes/fake-kantata.js';
import { FakeKantataOAuth } from '../fakes/fake-oauth.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { freePort } from '../fakes/free-port.js';
import { slackSignature, slashCommandBody } from '../fakes/slack-requests.js';
import { sqliteStore } from '../fakes/stores.js';
import { buttonUrl, TestBrowser } from '../fakes/test-browser.js';
import { childEnv, startBot } from '../process-harness.js';

const launcher = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'slack-invite-bot');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

describe('linking with the ledger and link store in the background thread', () => {
  it('connects, sends as the person, holds when their token is revoked, and sends the rest after the reconnect', async () => {
    const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann Inviter' });
    const kantata = await FakeKantata.start({ token: 'kt-thread-shared' });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const oauth = await FakeKantataOAuth.start({ clientId: 'kc', clientSecret: 'ks-thread', redirectUri: `${publicUrl}/oauth/kantata/callback` }, kantata, { id: 'k-9', fullName: 'Ann Lee' });
    const store = sqliteStore();
    const cwd = mkdtempSync(join(tmpdir(), 'invite-linking-'));
    cleanups.push(() => slack.close(), () => kantata.close(), () => oauth.close(), () => store.drop(), () => rmSync(cwd, { recursive: true, force: true }));
    const bot = await startBot(launcher, [], {
      cwd,
      env: childEnv({
        ...SLACK_TEST_ENV,
        ...store.env,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        KANTATA_API_URL: kantata.apiUrl,
        PUBLIC_URL: publicUrl,
        KANTATA_CLIENT_ID: 'kc',
        KANTATA_CLIENT_SECRET: 'ks-thread',
        KANTATA_OAUTH_URL: oauth.url,
        TOKEN_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 5).toString('base64')}`,
        LOG_LEVEL: 'info',
      }),
      startTimeoutMs: 20_000,
    });
    cleanups.push(() => bot.kill());

    let sequence = 0;
    const command = async (text: string) => {
      sequence += 1;
      const body = slashCommandBody(text, { responseUrl: slack.responseUrl(`thread-${sequence}`), triggerId: `thread-trigger-${sequence}` });
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await request(`${publicUrl}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(body, timestamp, SLACK_TEST_ENV.SLACK_SIGNING_SECRET) },
        body,
      });
      return (await response.body.json()) as { text?: string; blocks?: unknown };
    };

    // Kantata OX is used through linked accounts only here: the first request waits for the connection.
    const browser = new TestBrowser();
    const first = await command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    const landed = await browser.decide(await browser.open(buttonUrl(first) ?? ''), 'allow');
    expect(landed.text).toContain('Connected as Ann Lee in Kantata OX.');
    await until(() => kantata.invitations.length === 1, 10_000, 'the first invitation');
    expect(kantata.inviteRequests[0]?.headers.authorization).toBe(`Bearer ${oauth.issued[0]}`);

    kantata.revokeToken(oauth.issued[0] ?? '');
    expect(String((await command('"Cy Young" <cy@acme.com> to kantata:12345 as buyer').then((answer) => answer.text)) ?? '')).toContain('Inviting 1 person');
    await until(() => slack.callsTo('chat.postMessage').some((call) => call.args.channel === 'U1'), 10_000, 'the reconnect prompt');
    const prompt = slack.callsTo('chat.postMessage').find((call) => call.args.channel === 'U1');
    const again = await browser.decide(await browser.open(buttonUrl(prompt?.args as { blocks?: unknown }) ?? ''), 'allow');
    expect(again.text).toContain('Your invitation is on its way');
    await until(() => kantata.invitations.length === 2, 10_000, 'the held invitation');
    expect(kantata.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com', 'cy@acme.com']);
    expect(kantata.inviteRequests.at(-1)?.headers.authorization).toBe(`Bearer ${oauth.issued[1]}`);
    expect(bot.output()).not.toContain(oauth.issued[0]);
    expect(bot.output()).not.toContain(oauth.issued[1]);
  }, 60_000);
});
