/**
 * `npm start` (build, then run) stopped the way a supervisor stops what it started: a signal to the pid it
 * holds, which is npm's own. npm passes SIGTERM and SIGINT to its child; the start script and the launcher
 * exec, so that child is node itself and nothing is left in between to swallow the signal.
 *
 * It runs in a copy of the sources (node_modules linked from the checkout): no developer's .env is read,
 * every process of the bot can be found by its working directory, and its build does not write the
 * checkout's dist/ while other test files run it.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { FakeKantata } from './fakes/fake-kantata.js';
import { FakeSlack } from './fakes/fake-slack.js';
import { childEnv, getStatus, processesIn, processTree, startBot, within } from './process-harness.js';

const root = resolve(import.meta.dirname, '..');

describe('npm start, signalled through its own pid', () => {
  let dir: string;
  let slack: FakeSlack;
  let kantata: FakeKantata;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invite-bot-npm-start-'));
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin']) cpSync(join(root, path), join(dir, path), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    kantata = await FakeKantata.start({ token: 'kt-npm-start-token' });
  });

  afterAll(async () => {
    await Promise.all([slack?.close(), kantata?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // The TypeScript build comes first and takes a few seconds on a busy machine.
  const startNpmStart = () =>
    startBot('npm', ['start'], {
      cwd: dir,
      env: childEnv({ ...SLACK_TEST_ENV, SLACK_API_URL: slack.apiUrl, PORT: '0', KANTATA_API_TOKEN: 'kt-npm-start-token', KANTATA_API_URL: kantata.apiUrl, LOG_LEVEL: 'info' }),
      startTimeoutMs: 90_000,
    });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to npm start\'s pid: the bot drains and exits 0, npm exits 0, and no process of the bot is left', async (signal) => {
    const bot = await startNpmStart();
    try {
      expect(await getStatus(bot.port, '/readyz')).toBe(200);
      expect(processTree(bot.pid).map((found) => found.command)).toEqual([
        'npm start',
        expect.stringMatching(/^node --max-old-space-size=96 --max-semi-space-size=2 \S*dist\/index\.js$/),
      ]);
      process.kill(bot.pid, signal);
      expect(await within(bot.exited, 40_000)).toEqual({ code: 0, signal: null });
      expect(bot.output()).toContain(`"event":"stopping","signal":"${signal}"`);
      expect(bot.output()).toContain('"event":"stopped","drained":true');
      expect(processesIn(dir)).toEqual([]);
    } finally {
      bot.kill();
    }
  }, 120_000);

  it('Ctrl-C in a terminal (SIGINT to npm and node at once, and npm passes its own on): one graceful stop, exit 0', async () => {
    const bot = await startNpmStart();
    try {
      expect(await getStatus(bot.port, '/readyz')).toBe(200);
      // The terminal signals the whole foreground process group; startBot made npm that group's leader.
      process.kill(-bot.pid, 'SIGINT');
      expect(await within(bot.exited, 40_000)).toEqual({ code: 0, signal: null });
      expect(bot.output().match(/"event":"stopping"/g)).toHaveLength(1);
      expect(bot.output()).toContain('"event":"stopped","drained":true');
      expect(processesIn(dir)).toEqual([]);
    } finally {
      bot.kill();
    }
  }, 120_000);
});
