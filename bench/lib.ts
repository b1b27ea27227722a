import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { slackSignature, slashCommandBody } from '../test/fakes/slack-requests.js';

export const SIGNING_SECRET = 'bench-signing-secret';
export const BOT_TOKEN = 'xoxb-bench-bot-token';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Child {
  readonly process: ChildProcess;
  readonly port: number;
  readonly startedAt: number;
  stop(): Promise<void>;
  rssMb(): number;
}

/** Starts a Node script as its own process (as the bot runs in production) and waits until it is ready (`/readyz`). */
export async function startProcess(script: string, env: Record<string, string>, port: number, readyPath = '/readyz'): Promise<Child & { readyMs: number }> {
  const cwd = mkdtempSync(join(tmpdir(), 'invite-bench-'));
  const startedAt = performance.now();
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : startFlags();
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd, env: { PATH: process.env.PATH ?? '', ...launcherEnvironment(), ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  let readyMs = Number.NaN;
  for (let tries = 0; tries < 2000; tries += 1) {
    try {
      const response = await pool.request({ method: 'GET', path: readyPath });
      await response.body.text();
      if (response.statusCode < 500) {
        readyMs = performance.now() - startedAt;
        break;
      }
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    await sleep(5);
  }
  await pool.close();
  if (Number.isNaN(readyMs)) throw new Error(`${script} did not become ready`);
  return {
    process: child,
    port,
    startedAt,
    readyMs,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      return kb / 1024;
    },
  };
}

/**
 * The Node flags the bot runs with, read from its launcher (bin/slack-invite-bot, the one place they are
 * set: npm start, the Docker image and the systemd unit all start it), so the benchmark measures the bot as
 * it runs.
 */
export function startFlags(): string[] {
  const launcher = readFileSync(new URL('../../bin/slack-invite-bot', import.meta.url), 'utf8');
  const execLine = launcher.split('\n').find((line) => line.startsWith('exec node '));
  if (!execLine) throw new Error('bin/slack-invite-bot has no `exec node …` line to read the flags from');
  return execLine.split(/\s+/).filter((token) => /^--[a-z]/.test(token));
}

/**
 * The environment bin/slack-invite-bot sets for node (its `export NAME="${NAME:-value}"` lines): the
 * launcher's default, or the value this process was given, as the launcher itself would take it.
 */
export function launcherEnvironment(): Record<string, string> {
  const launcher = readFileSync(new URL('../../bin/slack-invite-bot', import.meta.url), 'utf8');
  const exports = launcher.matchAll(/^export (\w+)="\$\{\1:-([^}]*)\}"$/gm);
  return Object.fromEntries([...exports].map(([, name, value]) => [name as string, process.env[name as string] || (value as string)]));
}

let nonce = 0;

/** The people the load comes from (the fakes process knows them all): a team, not one person. */
export const BENCH_USERS = Array.from({ length: 50 }, (_, i) => `U${String(i + 1).padStart(4, '0')}`);

/** A slash command body as Slack sends it, unique every time (so replay protection never trips). */
export function commandBody(text: string, responseUrl: string, userId = 'U1'): string {
  nonce += 1;
  return slashCommandBody(text, { responseUrl: `${responseUrl}/${nonce}`, triggerId: `trigger-${process.pid}-${nonce}` }, { user_id: userId });
}

export function signedHeaders(body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(body, timestamp, SIGNING_SECRET),
  };
}

export interface LoadResult {
  readonly latenciesMs: number[];
  /** The latency of each body, by its index in the input (NaN where the request failed). */
  readonly byIndex: number[];
  readonly errors: number;
  readonly statuses: Record<string, number>;
  /** Each answer's body, by index, when asked for. */
  readonly answers: string[];
}

/** Sends every body at the given concurrency and records each request's time to a full answer. */
export async function runLoad(port: number, bodies: readonly string[], concurrency: number, options: { keepAnswers?: boolean } = {}): Promise<LoadResult> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  const latenciesMs: number[] = [];
  const byIndex = new Array<number>(bodies.length).fill(Number.NaN);
  const statuses: Record<string, number> = {};
  const answers = new Array<string>(options.keepAnswers ? bodies.length : 0).fill('');
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next;
      const body = bodies[index] as string;
      next += 1;
      const started = performance.now();
      try {
        const response = await pool.request({ method: 'POST', path: '/slack/events', headers: signedHeaders(body), body });
        const text = await response.body.text();
        if (options.keepAnswers) answers[index] = text;
        const elapsed = performance.now() - started;
        latenciesMs.push(elapsed);
        byIndex[index] = elapsed;
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode !== 200) errors += 1;
      } catch {
        errors += 1;
        statuses.network = (statuses.network ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return { latenciesMs, byIndex, errors, statuses, answers };
}

/** What the fake services of the fakes process have taken so far (see fakes-process.ts). */
export interface FakeStats {
  readonly kantataInvitations: number;
  readonly huddleAddresses: number;
  /** When the last invitation (of either service) arrived, epoch ms. */
  readonly lastInvitationAt: number;
}

export async function fakeStats(statsUrl: string): Promise<FakeStats> {
  const pool = new Pool(new URL(statsUrl).origin, { connections: 1 });
  try {
    const response = await pool.request({ method: 'GET', path: new URL(statsUrl).pathname });
    return (await response.body.json()) as FakeStats;
  } finally {
    await pool.close();
  }
}
