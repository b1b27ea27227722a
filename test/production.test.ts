/**
 * SLOW (about half a minute): the Docker image, built and run without Docker (CI has only the Docker
 * client). test/docker-build.ts follows the Dockerfile step by step — the build context honouring
 * .dockerignore, the build stage (install, compile, drop dev dependencies), the runtime stage (the
 * production install, dist/ and the launcher only) — in temporary directories. Then the image's CMD runs
 * as the container would, is probed with the image's HEALTHCHECK and stopped as `docker stop` stops it:
 * a signal to the one pid it gave.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWithoutDocker, copyBuildContext, dockerignoreFilter, hostPath, type RunSubstitute, type Stage } from './docker-build.js';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { FakeKantata } from './fakes/fake-kantata.js';
import { FakeSlack } from './fakes/fake-slack.js';
import { childEnv, getStatus, processesIn, processTree, startBot, within, type RunningBot } from './process-harness.js';

const root = resolve(import.meta.dirname, '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

/** The node command line the launcher (bin/slack-invite-bot) execs: its flags, then the entry file. */
const NODE_WITH_FLAGS = /^node --max-old-space-size=96 --max-semi-space-size=2 \S*dist\/index\.js$/;

/** RUN steps of the Dockerfile that this check does not repeat as written, each with its reason. */
const SUBSTITUTES: readonly RunSubstitute[] = [
  {
    matches: /^apt-get /,
    why: "skipped: it installs the compiler for better-sqlite3's addon, and nothing is compiled here (see npm ci)",
    run: () => undefined,
  },
  {
    matches: /^npm ci(\s|$)/,
    // .ci/run has just run `npm ci` in the checkout from the same package.json and lockfile. A second
    // `npm ci` would compile better-sqlite3 from source again (about a minute: its prebuilt download is
    // blocked here) and prove nothing new. Copying the result is faithful as long as the checkout's
    // node_modules is exactly what the lockfile installs, which `npm ls --all` checks (it fails on a
    // package missing, extraneous or of another version). The steps after it run for real.
    why: "the checkout's node_modules (what .ci/run's `npm ci` installed from this lockfile), checked with `npm ls --all`",
    run: (stage) => {
      execFileSync('cp', ['-a', join(root, 'node_modules'), join(stage.dir, 'node_modules')]);
      runOrExplain('npm ls --all', stage);
    },
  },
  {
    matches: /^mkdir data && chown node:node data$/,
    why: "mkdir data only: the image's user `node` does not exist here, and this check runs as a single user",
    run: (stage) => mkdirSync(join(stage.dir, 'data')),
  },
];

function runOrExplain(command: string, stage: Stage): void {
  const result = spawnSync('sh', ['-c', command], { cwd: stage.dir, env: childEnv(stage.env), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`RUN ${command} failed in stage ${stage.name} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
}

describe('.dockerignore', () => {
  const inContext = dockerignoreFilter(readFileSync(join(root, '.dockerignore'), 'utf8'));

  it('sends the sources, the lockfile and the launcher', () => {
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/index.ts', 'src/slack/app.ts', 'bin/slack-invite-bot', 'manifest.yml']) expect(inContext(path), path).toBe(true);
  });

  it('leaves out secrets, local builds and everything the image does not use', () => {
    for (const path of ['.env', 'node_modules/pino/package.json', 'dist/index.js', '.git/HEAD', 'test/index.test.ts', 'data/ledger.sqlite', 'Dockerfile', '.tools-build/bench/run.js']) expect(inContext(path), path).toBe(false);
  });
});

/** The image's Node (`ARG NODE_IMAGE`) and the one running this check, as major.minor. */
const IMAGE_NODE = /^ARG NODE_IMAGE=node:(\d+\.\d+)-/m.exec(dockerfile)?.[1];
const THIS_NODE = process.versions.node.split('.').slice(0, 2).join('.');

// The build is repeated with the Node running this check, so it stands for the image only on the image's
// Node: the Node 24 run (.ci/test-node-24) skips it. CI's main run sets REQUIRE_IMAGE_NODE=1, so there a
// Node that drifted from the Dockerfile's fails instead of skipping.
describe.runIf(IMAGE_NODE === THIS_NODE || process.env.REQUIRE_IMAGE_NODE === '1')('the Docker image, built and run without Docker (Dockerfile)', () => {
  let work: string;
  let runtime: Stage;
  const steps: string[] = [];
  let slack: FakeSlack;
  let kantata: FakeKantata;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'invite-bot-image-'));
    const context = join(work, 'context');
    copyBuildContext(root, context);
    const stages = buildWithoutDocker({
      dockerfile,
      contextDir: context,
      workDir: work,
      substitutes: SUBSTITUTES,
      runCommand: runOrExplain,
      onStep: (step) => steps.push(step),
    });
    const last = [...stages.values()].at(-1);
    if (!last) throw new Error('the Dockerfile has no stage');
    runtime = last;
    slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
    kantata = await FakeKantata.start({ token: 'kt-image-token' });
  }, 150_000);

  afterAll(async () => {
    await Promise.all([slack?.close(), kantata?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const botEnv = () => ({
    ...runtime.env,
    ...SLACK_TEST_ENV,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    KANTATA_API_TOKEN: 'kt-image-token',
    KANTATA_API_URL: kantata.apiUrl,
    LOG_LEVEL: 'info',
  });

  /** Runs the image's HEALTHCHECK command against the bot on `port`; its exit code. */
  function healthcheck(port: number): number | null {
    const [program, ...args] = runtime.healthcheck ?? [];
    if (!program) throw new Error('the image has no HEALTHCHECK');
    return spawnSync(program, args, { cwd: runtime.dir, env: childEnv({ PORT: String(port) }), timeout: 10_000 }).status;
  }

  it('builds in stages and runs the build for real, with the production install last', () => {
    const runs = steps.filter((step) => step.startsWith('RUN '));
    expect(runs).toEqual(['RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*', 'RUN npm ci --no-audit --no-fund', 'RUN npm run build', 'RUN npm prune --omit=dev --no-audit --no-fund', 'RUN mkdir data && chown node:node data']);
    expect(existsSync(join(runtime.dir, 'dist', 'index.js'))).toBe(true);
  });

  it('runs on the Node version this check runs on', () => {
    expect(IMAGE_NODE).toBe(THIS_NODE);
  });

  it('ships the production dependencies only, with a working SQLite', () => {
    for (const devOnly of ['typescript', 'vitest', 'playwright-core', '@types/better-sqlite3']) expect(existsSync(join(runtime.dir, 'node_modules', devOnly)), devOnly).toBe(false);
    for (const needed of ['@slack/bolt', 'pino', 'better-sqlite3']) expect(existsSync(join(runtime.dir, 'node_modules', needed)), needed).toBe(true);
    const query = "import('./dist/invitations/ledger/sqlite-driver.js').then(({ openSqliteFile }) => console.log(openSqliteFile(':memory:').prepare('select 6 * 7 as answer').get().answer))";
    expect(execFileSync('node', ['-e', query], { cwd: runtime.dir, env: childEnv(runtime.env), encoding: 'utf8' }).trim()).toBe('42');
  });

  it('runs as an unprivileged user, stops with SIGTERM and serves on 3000', () => {
    expect(runtime).toMatchObject({ user: 'node', stopSignal: 'SIGTERM', exposed: [3000], env: { NODE_ENV: 'production' } });
    expect(existsSync(join(runtime.dir, 'data'))).toBe(true);
  });

  async function stopAndCheck(bot: RunningBot, signal: NodeJS.Signals): Promise<void> {
    process.kill(bot.pid, signal);
    expect(await within(bot.exited, 40_000)).toEqual({ code: 0, signal: null });
    expect(bot.output()).toContain(`"event":"stopping","signal":"${signal}"`);
    expect(bot.output()).toContain('"event":"stopped","drained":true');
    expect(processesIn(runtime.dir)).toEqual([]);
  }

  it.each(['SIGTERM', 'SIGINT'] as const)("CMD: ready and healthy; %s to the pid it gave drains the bot, exits 0 and leaves no process", async (signal) => {
    const [program, ...args] = runtime.cmd ?? [];
    if (!program) throw new Error('the image has no CMD');
    const bot = await startBot(hostPath(runtime, program), args, { cwd: runtime.dir, env: childEnv(botEnv()), startTimeoutMs: 20_000 });
    try {
      expect(await getStatus(bot.port, '/readyz')).toBe(200);
      expect(healthcheck(bot.port)).toBe(0);
      // The launcher exec'd node: the pid Docker holds is node's, with the flags, and nothing runs below it.
      expect(processTree(bot.pid).map((found) => found.command)).toEqual([expect.stringMatching(NODE_WITH_FLAGS)]);
      await stopAndCheck(bot, signal);
      expect(healthcheck(bot.port)).toBe(1);
    } finally {
      bot.kill();
    }
  }, 60_000);

  it('`npm run start:prod` in the production install: SIGTERM to npm\'s own pid drains the bot, exits 0 and leaves no process', async () => {
    const bot = await startBot('npm', ['run', 'start:prod'], { cwd: runtime.dir, env: childEnv(botEnv()), startTimeoutMs: 20_000 });
    try {
      expect(await getStatus(bot.port, '/readyz')).toBe(200);
      // npm, then node straight below it: npm's shell exec'd the launcher, which exec'd node.
      expect(processTree(bot.pid).map((found) => found.command)).toEqual([expect.stringMatching(/^npm run start:prod$/), expect.stringMatching(NODE_WITH_FLAGS)]);
      await stopAndCheck(bot, 'SIGTERM');
    } finally {
      bot.kill();
    }
  }, 60_000);
});
