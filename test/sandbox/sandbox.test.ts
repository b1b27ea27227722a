import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxEnv, startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import { slackSignature, slashCommandBody } from '../fakes/slack-requests.js';

let sandbox: Sandbox | undefined;
let slack: FakeSlack | undefined;
afterEach(async () => {
  await sandbox?.close();
  await slack?.close();
  sandbox = undefined;
  slack = undefined;
});

async function command(port: number, text: string, sequence: number): Promise<number> {
  const body = slashCommandBody(text, { responseUrl: slack?.responseUrl(`sandbox-${sequence}`) ?? '', triggerId: `trigger-${sequence}` });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await request(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(body, timestamp, SLACK_TEST_ENV.SLACK_SIGNING_SECRET),
    },
    body,
  });
  await response.body.text();
  return response.statusCode;
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('npm run sandbox', () => {
  it('never keeps the real Kantata or Huddle settings, nor the real ledger', () => {
    const env = sandboxEnv(
      { SLACK_BOT_TOKEN: 'xoxb-1', DATABASE_URL: 'postgres://real/db', DATA_DIR: '/srv/bot/data', KANTATA_API_TOKEN: 'real', KANTATA_API_URL: 'https://api.mavenlink.com/api/v1', HUDDLE_CLIENT_ID: 'id', HUDDLE_CLIENT_SECRET: 'secret', LOG_LEVEL: 'debug' },
      { kantataUrl: 'http://127.0.0.1:1/api/v1', kantataToken: 'sk', huddleUrl: 'http://127.0.0.1:2', huddleToken: 'sh', dataDir: '/tmp/sandbox-ledger' },
    );
    expect(env).toEqual({
      SLACK_BOT_TOKEN: 'xoxb-1',
      LOG_LEVEL: 'debug',
      KANTATA_API_URL: 'http://127.0.0.1:1/api/v1',
      KANTATA_API_TOKEN: 'sk',
      HUDDLE_API_URL: 'http://127.0.0.1:2',
      HUDDLE_API_TOKEN: 'sh',
      DATA_DIR: '/tmp/sandbox-ledger',
    });
  });

  it('lists its workspaces and prints what each invitation would have sent', async () => {
    slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann Inviter' });
    const lines: string[] = [];
    const log = recordingLogger([]);
    sandbox = await startSandbox(
      { ...SLACK_TEST_ENV, SLACK_API_URL: slack.apiUrl, PORT: '0', KANTATA_API_TOKEN: 'kt-real-must-not-be-used', HUDDLE_USERNAME: 'real', HUDDLE_PASSWORD: 'real' },
      (line) => lines.push(line),
      log.logger,
    );
    const port = sandbox.port ?? 0;
    expect(lines.join('\n')).toContain('kantata  12345   Acme Rollout');
    expect(lines.join('\n')).toContain('kantata  20003   Umbrella Security Audit    bot may not invite (403)');
    expect(lines.join('\n')).toContain('huddle   89178   Acme Board Pack');
    expect(sandbox.config.kantata?.apiUrl).toBe(sandbox.kantata.apiUrl);
    expect(sandbox.config.huddle?.auth?.kind).toBe('bearer');

    expect(await command(port, '"Bob Smith" <bob@example.com> to kantata:"Acme Rollout" as buyer -- Welcome', 1)).toBe(200);
    expect(await command(port, 'ann@example.com, cy@example.com to "Board Pack"', 2)).toBe(200);
    await waitFor(() => slack?.callsTo('chat.postMessage').length === 2);
    const printed = lines.join('\n');
    expect(printed).toContain('→ Kantata OX workspace 12345 "Acme Rollout": POST /api/v1/workspaces/12345/invite answered 200');
    expect(printed).toContain('would invite Bob Smith <bob@example.com> as buyer');
    expect(printed).toContain('"message":"Welcome"');
    expect(printed).toContain('→ Huddle workspace 89178 "Acme Board Pack": POST /v1/xml/workspaces/89178/invite answered 202');
    expect(printed).toContain('would invite ann@example.com, cy@example.com');
    expect(sandbox.kantata.invitations.map((i) => i.email)).toEqual(['bob@example.com']);
    expect(slack.callsTo('chat.postMessage').map((call) => call.args.text)).toEqual(
      expect.arrayContaining(['1 of 1 invited to Kantata OX workspace Acme Rollout (12345)', '2 of 2 invited to Huddle workspace Acme Board Pack (89178)']),
    );
    expect(printed).not.toContain('sandbox-kantata-');
  });
});
