import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { FakeKantata } from './fakes/fake-kantata.js';
import { FakeSlack } from './fakes/fake-slack.js';
import { sign } from './slack/harness.js';

const root = resolve(import.meta.dirname, '..');
const entry = join(root, 'dist', 'index.js');
// An empty working directory, so no developer's .env is read.
const cwd = mkdtempSync(join(tmpdir(), 'invite-bot-'));

function run(env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [entry], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
}

describe('the bot process', () => {
  it('exits non-zero with one line per configuration problem, naming no secret', async () => {
    const result = await exited(run({ KANTATA_API_TOKEN: 'kt-do-not-print', KANTATA_API_URL: 'nope', SLACK_BOT_TOKEN: 'xoxp-wrong-kind' }));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'config error: SLACK_BOT_TOKEN must be a bot token, starting with xoxb-',
      'config error: SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information page), or set SLACK_APP_TOKEN for Socket Mode',
      'config error: KANTATA_API_URL must be an http:// or https:// URL without credentials in it',
      'See the Configuration section of README.md.',
    ]);
    expect(result.stderr + result.stdout).not.toContain('kt-do-not-print');
  });

  it('runs the doctor: one row per part, exit 1 when one fails', async () => {
    const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    const kantata = await FakeKantata.start({ token: 'kt-right-token' });
    try {
      const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'doctor'], {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...SLACK_TEST_ENV, SLACK_API_URL: slack.apiUrl, KANTATA_API_TOKEN: 'kt-wrong-token', KANTATA_API_URL: kantata.apiUrl },
      });
      const result = await exited(child);
      expect(result.code).toBe(1);
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^part\s+status\s+detail$/);
      expect(lines[1]).toMatch(/^Slack\s+ok\s+bot @invite-bot in Acme/);
      expect(lines[2]).toMatch(/^Kantata OX\s+failed\s+Kantata OX did not accept the bot's credentials \(HTTP 401\)/);
      expect(lines[3]).toMatch(/^Huddle\s+skipped\s+not configured$/);
      expect(result.stdout + result.stderr).not.toContain('kt-wrong-token');
    } finally {
      await Promise.all([slack.close(), kantata.close()]);
    }
  });

  it('runs the doctor with only Slack configured: Slack checked, a warning that the bot will not start, exit 0', async () => {
    const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    try {
      const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'doctor'], {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...SLACK_TEST_ENV, SLACK_API_URL: slack.apiUrl },
      });
      const result = await exited(child);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 2))).toEqual([
        ['Slack', 'ok'],
        ['Kantata OX', 'skipped'],
        ['Huddle', 'skipped'],
        ['Services', 'warning'],
      ]);
      expect(lines[4]).toMatch(/none is configured, so the bot will not start/);
      for (const secret of Object.values(SLACK_TEST_ENV)) expect(result.stdout).not.toContain(secret);
    } finally {
      await slack.close();
    }
  });

  describe('running', () => {
    let slack: FakeSlack;
    let kantata: FakeKantata;
    beforeAll(async () => {
      slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
      slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann Inviter' });
      kantata = await FakeKantata.start({ token: 'kt-process-token' });
    });
    afterAll(async () => {
      await Promise.all([slack.close(), kantata.close()]);
    });

    it('serves /readyz, and on SIGTERM finishes the invitation in flight, then exits 0', async () => {
      const child = run({
        ...SLACK_TEST_ENV,
        SLACK_API_URL: slack.apiUrl,
        PORT: '0',
        KANTATA_API_TOKEN: 'kt-process-token',
        KANTATA_API_URL: kantata.apiUrl,
        LOG_LEVEL: 'info',
      });
      const done = exited(child);
      const port = await new Promise<number>((resolvePort, reject) => {
        let buffer = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const started = buffer.split('\n').find((line) => line.includes('"event":"started"'));
          if (started) resolvePort((JSON.parse(started) as { port: number }).port);
        });
        setTimeout(() => reject(new Error('the bot did not start')), 10_000);
      });
      const health = await request(`http://127.0.0.1:${port}/readyz`);
      expect(health.statusCode).toBe(200);
      expect(await health.body.json()).toEqual({ status: 'ready' });

      kantata.server.respondNext({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ results: [{ key: 'workspace_invitations', id: '77' }] }), delayMs: 700 });
      const body = new URLSearchParams({
        team_id: 'T1', channel_id: 'C1', user_id: 'U1', command: '/invite', text: '"Bob" <bob@acme.com> to kantata:12345 as buyer',
        response_url: slack.responseUrl('p1'), trigger_id: 't1', api_app_id: 'A1',
      }).toString();
      const timestamp = Math.floor(Date.now() / 1000);
      const ack = await request(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': sign(body, timestamp) },
        body,
      });
      expect(ack.statusCode).toBe(200);
      await ack.body.text();
      while (kantata.inviteRequests.length === 0) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGTERM');
      const result = await done;
      expect(result.code).toBe(0);
      expect(slack.callsTo('chat.postMessage').map((call) => call.args.text)).toEqual(['1 of 1 invited to Kantata OX workspace Acme Rollout (12345)']);
      expect(result.stdout).toContain('"event":"stopped","drained":true');
      expect(result.stdout).not.toContain('kt-process-token');
      expect(result.stdout).not.toContain(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    }, 30_000);
  });
});

describe('a process with the crash guards of src/process-guards.ts', () => {
  /** Node with the bot's logger and guards, then `crash` (module code); what it printed and how it ended. */
  function runWithGuards(crash: string): ReturnType<typeof exited> {
    const url = (file: string) => pathToFileURL(join(root, 'dist', file)).href;
    const script = [
      `import { createLogger } from ${JSON.stringify(url('logger.js'))};`,
      `import { installProcessGuards } from ${JSON.stringify(url('process-guards.js'))};`,
      `installProcessGuards(createLogger({ level: 'info', secrets: [] }), (code) => process.exit(code));`,
      // Kept alive like the bot's server, so only the guard can end the process.
      'setInterval(() => {}, 1000);',
      crash,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd, env: { PATH: process.env.PATH ?? '' } });
    // Without a working guard the interval keeps it alive: end it, so the test fails on the exit code.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
    return exited(child).finally(() => clearTimeout(deadline));
  }

  it('exits 1 on a promise nobody awaits, with the stack in the log', async () => {
    const result = await runWithGuards(`async function inviteEveryone() { throw new Error('nobody caught me'); }\nsetTimeout(() => void inviteEveryone(), 10);`);
    expect(result.code).toBe(1);
    const line = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 60, event: 'unhandled_rejection', error: 'nobody caught me' });
    expect(line.stack).toMatch(/^Error: nobody caught me\n\s+at inviteEveryone/);
  });

  it('exits 1 on an exception thrown in a callback', async () => {
    const result = await runWithGuards(`setTimeout(() => { throw new RangeError('out of range'); }, 10);`);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ level: 60, event: 'uncaught_exception', error: 'out of range', stack: expect.stringContaining('RangeError: out of range') });
  });
});
