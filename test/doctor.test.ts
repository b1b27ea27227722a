import { readFileSync } from 'node:fs';
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { doctorExitCode, formatReport, manifestScopes, readManifestScopes, runDoctor } from '../src/doctor.js';
import { createEngine } from '../src/engine.js';
import { lightFetch } from '../src/slack/light-fetch.js';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { FakeHuddle } from './fakes/fake-huddle.js';
import { FakeKantata } from './fakes/fake-kantata.js';
import { FakeSlack } from './fakes/fake-slack.js';
import { recordingLogger } from './fakes/recording-logger.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function doctor(env: Record<string, string>, tweak: (fakes: { slack: FakeSlack }) => void = () => undefined) {
  const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
  const kantata = await FakeKantata.start({ token: 'kt-right' });
  const huddle = await FakeHuddle.start({ tokens: ['ht-right'], clients: { bot: 'hc-right' }, users: { bob: 'pw-right' } });
  closers.push(() => slack.close(), () => kantata.close(), () => huddle.close());
  tweak({ slack });
  const config = parseConfig({
    ...SLACK_TEST_ENV,
    SLACK_API_URL: slack.apiUrl,
    ...(env.KANTATA_API_TOKEN ? { KANTATA_API_URL: kantata.apiUrl } : {}),
    ...(env.HUDDLE_API_TOKEN || env.HUDDLE_CLIENT_ID || env.HUDDLE_USERNAME ? { HUDDLE_API_URL: huddle.apiUrl } : {}),
    ...(env.HUDDLE_CLIENT_ID ? { HUDDLE_TOKEN_URL: huddle.tokenUrl } : {}),
    ...env,
  }, { serviceRequired: false });
  const engine = createEngine(config, { logger: recordingLogger().logger, retryPolicy: { maxAttempts: 1, maxTotalMs: 100, baseDelayMs: 1, maxDelayMs: 1 } });
  closers.push(() => engine.close());
  const client = new webApi.WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl ?? '', retryConfig: { retries: 0 }, fetch: lightFetch, logLevel: webApi.LogLevel.ERROR });
  return runDoctor(config, { engine, slack: client, requiredScopes: readManifestScopes() });
}

describe('npm run doctor', () => {
  it('reads the scopes manifest.yml asks for', () => {
    expect(manifestScopes(readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8'))).toEqual([
      'commands', 'chat:write', 'chat:write.public', 'users:read', 'users:read.email', 'usergroups:read',
    ]);
  });

  it('reports every configured part as working', async () => {
    const results = await doctor({ KANTATA_API_TOKEN: 'kt-right', HUDDLE_CLIENT_ID: 'bot', HUDDLE_CLIENT_SECRET: 'hc-right' });
    expect(results).toEqual([
      { part: 'Slack', status: 'ok', detail: 'bot @invite-bot in Acme; all 6 scopes of manifest.yml granted' },
      { part: 'Kantata OX', status: 'ok', detail: 'the token acts as Connector User (user 42)' },
      { part: 'Huddle', status: 'ok', detail: 'client credentials work; the account sees 2 workspaces' },
    ]);
  });

  it('names each wrong credential, and skips what is not configured', async () => {
    const results = await doctor({ SLACK_BOT_TOKEN: 'xoxb-wrong', KANTATA_API_TOKEN: 'kt-wrong-token', HUDDLE_USERNAME: 'bob', HUDDLE_PASSWORD: 'pw-wrong' });
    expect(results).toEqual([
      { part: 'Slack', status: 'failed', detail: 'Slack refused SLACK_BOT_TOKEN (invalid_auth)' },
      { part: 'Kantata OX', status: 'failed', detail: 'Kantata OX did not accept the bot\'s credentials (HTTP 401): Invalid OAuth 2 Request' },
      { part: 'Huddle', status: 'failed', detail: 'Huddle did not accept the bot\'s credentials (HTTP 401)' },
    ]);
    const report = formatReport(results);
    for (const secret of ['xoxb-wrong', 'kt-wrong-token', 'pw-wrong', Buffer.from('bob:pw-wrong').toString('base64')]) expect(report).not.toContain(secret);
    expect((await doctor({ HUDDLE_API_TOKEN: 'ht-wrong' }))[1]).toEqual({ part: 'Kantata OX', status: 'skipped', detail: 'not configured' });
  });

  it('flags a wrong Huddle client secret and a static token that works', async () => {
    const wrong = await doctor({ HUDDLE_CLIENT_ID: 'bot', HUDDLE_CLIENT_SECRET: 'hc-wrong' });
    expect(wrong[2]).toMatchObject({ status: 'failed', detail: expect.stringContaining('Client authentication failed') });
    const right = await doctor({ HUDDLE_API_TOKEN: 'ht-right' });
    expect(right[2]).toEqual({ part: 'Huddle', status: 'ok', detail: 'HUDDLE_API_TOKEN work; the account sees 2 workspaces' });
  });

  it('lists scopes the installation lacks', async () => {
    const results = await doctor({ KANTATA_API_TOKEN: 'kt-right' }, ({ slack }) => {
      slack.grantedScopes = ['commands', 'chat:write'];
    });
    expect(results[0]).toEqual({
      part: 'Slack',
      status: 'failed',
      detail: 'bot @invite-bot in Acme, but these scopes of manifest.yml are not granted: chat:write.public, users:read, users:read.email, usergroups:read. Reinstall the app.',
    });
  });

  it('warns, and passes, when Slack sends no x-oauth-scopes header to compare with manifest.yml', async () => {
    const results = await doctor({ KANTATA_API_TOKEN: 'kt-right' }, ({ slack }) => {
      slack.sendScopesHeader = false;
    });
    expect(results[0]).toEqual({
      part: 'Slack',
      status: 'warning',
      detail: 'bot @invite-bot in Acme; scopes could not be read (Slack sent no x-oauth-scopes header), so they were not compared with manifest.yml',
    });
    expect(doctorExitCode(results)).toBe(0);
    expect(formatReport(results).split('\n')[1]).toMatch(/^Slack\s+warning\s+bot @invite-bot in Acme; scopes could not be read/);
  });

  it('checks Slack on its own before any service is configured, and warns that the bot will not start', async () => {
    const results = await doctor({});
    expect(results).toEqual([
      { part: 'Slack', status: 'ok', detail: 'bot @invite-bot in Acme; all 6 scopes of manifest.yml granted' },
      { part: 'Kantata OX', status: 'skipped', detail: 'not configured' },
      { part: 'Huddle', status: 'skipped', detail: 'not configured' },
      {
        part: 'Services',
        status: 'warning',
        detail: 'none is configured, so the bot will not start: set KANTATA_API_TOKEN for Kantata OX, and/or HUDDLE_API_TOKEN, HUDDLE_CLIENT_ID + HUDDLE_CLIENT_SECRET, or HUDDLE_USERNAME + HUDDLE_PASSWORD for Huddle',
      },
    ]);
    expect(doctorExitCode(results)).toBe(0);
  });

  it('fails on a wrong Slack token with no service configured, printing no secret', async () => {
    const results = await doctor({ SLACK_BOT_TOKEN: 'xoxb-wrong-slack-only' });
    expect(results.map((result) => result.status)).toEqual(['failed', 'skipped', 'skipped', 'warning']);
    expect(doctorExitCode(results)).toBe(1);
    const report = formatReport(results);
    for (const secret of ['xoxb-wrong-slack-only', SLACK_TEST_ENV.SLACK_SIGNING_SECRET]) expect(report).not.toContain(secret);
  });

  it('adds no service warning once a service is configured', async () => {
    const results = await doctor({ HUDDLE_API_TOKEN: 'ht-right' });
    expect(results.map((result) => result.part)).toEqual(['Slack', 'Kantata OX', 'Huddle']);
  });
});
